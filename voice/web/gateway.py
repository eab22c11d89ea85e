"""The conversations behind the web page: each page (a websocket) belongs to one conversation,
found from its session; chat messages go to Rasa's ``web`` channel, calls to the voice pipeline
(voice/transports/browser.py), and everything said reaches every page of the conversation in
the order it was said. The protocol is in voice/web/protocol.py.

No message is lost or doubled across reconnects: a page re-sends what was not acknowledged;
message ids already handled (those in the tracker store and those in flight) are acknowledged
again, not handled again; and the history a page gets on connecting is read while no answer is
being written, so it holds each answer either whole or not at all (then the page gets it live).
Messages are taken in the order sent: once one is refused for coming too fast, the later ones
wait for it (see ``Conversation.held``), so a token freed in between cannot let them overtake.
"""

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterable, List, NamedTuple, Optional, Set

from voice.assistant import AssistantUnavailable, RasaAssistant
from voice.calls import CallServices
from voice.desk.desk import Desk
from voice.transports import browser
from voice.web.limits import RateLimit
from voice.web.protocol import MAX_TEXT, MESSAGE_ID, customer_message, is_unicode, shown_messages

log = logging.getLogger(__name__)
GREETING_INTENT = "/greet"
TYPED_COMMAND = "/"  # Rasa takes text starting with "/" as an intent: typed text never is one
ESCAPED_COMMAND = "／"
HELD_AT_MOST = 30.0  # seconds a refused message holds back the later ones, if it is never sent again


class Held(NamedTuple):
    message_id: str
    ready_at: float
    expires_at: float


@dataclass(eq=False)
class Page:
    """One open websocket: what it is sent, in order (dicts as JSON, bytes as audio)."""

    address: str
    outbox: asyncio.Queue = field(default_factory=asyncio.Queue)
    call: Optional[browser.PageCall] = None

    def send(self, item: object) -> None:
        self.outbox.put_nowait(item)


class Conversation:
    def __init__(self, session_id: str) -> None:
        self.session_id = session_id
        self.rasa_id = f"web-{session_id}"
        self.pages: Set[Page] = set()
        self.lock = asyncio.Lock()  # one answer at a time; history is read between answers
        self.handled: Set[str] = set()  # message ids in the tracker store or being answered
        self.offered: Dict[str, str] = {}  # the latest bot message's buttons: payload → title
        self.held: Optional[Held] = None  # the first message refused for coming too fast
        self.call: Optional[browser.PageCall] = None
        self.loaded = False

    def publish(self, event: object) -> None:
        for page in self.pages:
            page.send(event)

    def offer(self, buttons: Iterable[dict]) -> None:
        self.offered = {str(b.get("payload")): str(b.get("title") or "") for b in buttons if b.get("payload")}


class PageCustomer:
    """A web page's conversation as the agent desk reaches it (voice/desk/desk.py ``Customer``):
    looked up at each use, since the gateway forgets a conversation no page shows."""

    def __init__(self, gateway: "WebGateway", conversation: Conversation) -> None:
        self.gateway, self.session_id, self.rasa_id = gateway, conversation.session_id, conversation.rasa_id

    def _conversation(self) -> Optional[Conversation]:
        return self.gateway.conversations.get(self.session_id)

    def show(self, event: dict) -> None:
        if (conversation := self._conversation()) is not None:
            conversation.publish(event)

    def call(self):
        conversation = self._conversation()
        return conversation.call.session if conversation is not None and conversation.call is not None else None

    async def hang_up(self) -> None:
        conversation = self._conversation()
        if conversation is not None and conversation.call is not None and conversation.call.session is not None:
            conversation.call.session.hang_up("agent_closed")


def error(code: str, message_id: Optional[str] = None, **more) -> dict:
    return {"type": "error", "code": code, **({"id": message_id} if message_id else {}), **more}


class WebGateway:
    def __init__(
        self,
        assistant: RasaAssistant,
        calls: Optional[CallServices] = None,
        call_unavailable: str = "no_speech_model",
        per_session: Optional[RateLimit] = None,
        per_address: Optional[RateLimit] = None,
        clock: Callable[[], float] = time.time,
        desk: Optional[Desk] = None,
    ) -> None:
        self.assistant, self.calls, self.call_unavailable = assistant, calls, call_unavailable
        self.desk = desk
        self.per_session = per_session or RateLimit(per_minute=30, burst=10)
        self.per_address = per_address or RateLimit(per_minute=120, burst=40)
        self.clock = clock
        self.conversations: Dict[str, Conversation] = {}
        self._tasks: Set[asyncio.Task] = set()

    # ------------------------------------------------------------------ pages
    def ready(self) -> dict:
        call = {"available": True} if self.calls else {"available": False, "reason": self.call_unavailable}
        return {"type": "ready", "max_text": MAX_TEXT, "call": call}

    async def open_page(self, session_id: str, page: Page) -> Conversation:
        """Sends the page ``ready`` and the history, then everything said from then on. Raises
        AssistantUnavailable when the history cannot be read."""
        conversation = self.conversations.setdefault(session_id, Conversation(session_id))
        page.send(self.ready())
        try:
            async with conversation.lock:
                said = await self.assistant.history(conversation.rasa_id)
                conversation.handled |= {m["message_id"] for m in said if m.get("message_id")}
                shown = shown_messages(said)
                if not conversation.loaded:
                    conversation.offer(next((m["buttons"] for m in reversed(shown) if m["from"] == "bot"), []))
                    conversation.loaded = True
                page.send({"type": "history", "messages": shown})
                conversation.pages.add(page)
                if self.desk is not None:
                    self.desk.customer_back(conversation.rasa_id)
                if not said:
                    await self._answer(conversation, GREETING_INTENT, None, {"via": "system"})
        except AssistantUnavailable:
            self._forget_if_idle(conversation)
            raise
        return conversation

    async def close_page(self, conversation: Conversation, page: Page) -> None:
        conversation.pages.discard(page)
        if page.call is not None:
            await page.call.hang_up()
        if self.desk is not None and not conversation.pages:
            self.desk.customer_left(conversation.rasa_id)
        self._forget_if_idle(conversation)
        self.per_session.forget_idle()
        self.per_address.forget_idle()

    def _forget_if_idle(self, conversation: Conversation) -> None:
        """No page shows it and nothing is under way: the tracker store has it all."""
        busy = conversation.pages or conversation.lock.locked() or conversation.call is not None
        if not busy and self.conversations.get(conversation.session_id) is conversation:
            del self.conversations[conversation.session_id]

    def receive(self, conversation: Conversation, page: Page, raw: str) -> None:
        """One JSON event from the page."""
        try:
            event = json.loads(raw)
        except ValueError:
            event = None
        kind = event.get("type") if isinstance(event, dict) else None
        if kind in ("message", "button"):
            self._take_message(conversation, page, event)
        elif kind == "call_start":
            self._start_call(conversation, page)
        elif kind == "call_end":
            if page.call is not None:
                self._spawn(page.call.hang_up())
        elif kind == "key":
            if page.call is None or page.call.press(str(event.get("key"))) is not None:
                page.send(error("bad_message"))
        else:
            page.send(error("bad_message"))

    def receive_audio(self, page: Page, pcm: bytes) -> None:
        if page.call is None:
            page.send(error("bad_message"))
        elif (problem := page.call.feed(pcm)) is not None:
            log.info("web call: %s", problem)
            page.send(error("bad_message"))

    # ------------------------------------------------------------------ chat
    def _take_message(self, conversation: Conversation, page: Page, event: dict) -> None:
        message_id = event.get("id")
        if not isinstance(message_id, str) or not MESSAGE_ID.match(message_id):
            page.send(error("bad_message"))
            return
        if message_id in conversation.handled:
            page.send({"type": "ack", "id": message_id, "duplicate": True})
            return
        if event["type"] == "button":
            payload = event.get("payload")
            if not isinstance(payload, str) or payload not in conversation.offered:
                page.send(error("bad_message", message_id))
                return
            text, shown = payload, conversation.offered[payload]
        else:
            typed = event.get("text")
            if not isinstance(typed, str) or not typed.strip() or not is_unicode(typed):
                page.send(error("bad_message", message_id))
                return
            if len(typed) > MAX_TEXT:
                page.send(error("too_long", message_id))
                return
            shown = typed.strip()
            text = ESCAPED_COMMAND + shown[1:] if shown.startswith(TYPED_COMMAND) else shown
        if not self._in_order_and_in_rate(conversation, page, message_id):
            return
        conversation.handled.add(message_id)
        page.send({"type": "ack", "id": message_id, "duplicate": False})
        conversation.publish({"type": "message", **customer_message(shown, self.clock(), "chat", message_id)})
        if self.desk is not None:
            self.desk.customer_said(conversation.rasa_id, shown, "chat")
        metadata = {"via": "chat", **({"shown_as": shown} if event["type"] == "button" else {})}
        self._spawn(self._answer_in_turn(conversation, text, message_id, metadata))

    def _in_order_and_in_rate(self, conversation: Conversation, page: Page, message_id: str) -> bool:
        """Counts the message against the rate limits, or refuses it (telling the page when to
        send again) when it comes too fast or while an earlier refused message has not come again."""
        now = self.per_session.clock()
        held = conversation.held
        if held and held.message_id != message_id and now < held.expires_at:
            page.send(error("rate_limited", message_id, retry_after=round(max(held.ready_at - now, 0.5), 1)))
            return False
        wait = max(self.per_session.wait_for(conversation.session_id), self.per_address.wait_for(page.address))
        if wait > 0:
            if not held or held.message_id == message_id or now >= held.expires_at:
                conversation.held = Held(message_id, now + wait, now + wait + HELD_AT_MOST)
            page.send(error("rate_limited", message_id, retry_after=round(wait, 1)))
            return False
        conversation.held = None
        return True

    async def _answer_in_turn(self, conversation: Conversation, text: str, message_id: str, metadata: dict) -> None:
        async with conversation.lock:
            await self._answer(conversation, text, message_id, metadata)
        self._forget_if_idle(conversation)

    async def _answer(self, conversation: Conversation, text: str, message_id: Optional[str], metadata: dict) -> None:
        """Asks Rasa (the caller holds the conversation's lock) and publishes each reply as it comes."""
        held = self.desk is not None and self.desk.holds(conversation.rasa_id)  # Rasa only writes it down
        if not held:
            conversation.publish({"type": "typing", "on": True})
        buttons: List[dict] = []
        try:
            async for reply in self.assistant.stream(conversation.rasa_id, text, metadata, message_id):
                if reply.handoff is not None:
                    if self.desk is not None:
                        self.desk.request(PageCustomer(self, conversation), reply.handoff, "chat")
                    continue
                buttons = [{"title": b.get("title"), "payload": b.get("payload")} for b in reply.buttons]
                conversation.publish(
                    {
                        "type": "message",
                        "from": "bot",
                        "text": reply.text,
                        "buttons": buttons,
                        "ts": self.clock(),
                        "via": "chat",
                    }
                )
            conversation.offer(buttons)
        except AssistantUnavailable as exc:
            log.error("web chat %s…: %s", conversation.session_id[:6], exc)
            conversation.publish(error("assistant_unavailable"))
        finally:
            if not held:
                conversation.publish({"type": "typing", "on": False})

    # ------------------------------------------------------------------ calls
    def _start_call(self, conversation: Conversation, page: Page) -> None:
        if self.calls is None:
            page.send(error("call_unavailable", reason=self.call_unavailable))
            return
        if conversation.call is not None:
            page.send(error("call_busy"))
            return
        handoff = None
        if self.desk is not None:
            desk, customer = self.desk, PageCustomer(self, conversation)
            handoff = lambda card: desk.request(customer, card, "call")  # noqa: E731
        call, task = browser.start(self.calls, conversation.rasa_id, page.send, conversation.publish, handoff)
        conversation.call = page.call = call

        def ended(_task: asyncio.Task) -> None:
            conversation.call = None
            if page.call is call:
                page.call = None
            if self.desk is not None:
                self.desk.call_ended(conversation.rasa_id, chatting=bool(conversation.pages))
            self._forget_if_idle(conversation)

        task.add_done_callback(ended)
        self._keep(task)

    def _spawn(self, work) -> None:
        self._keep(asyncio.get_running_loop().create_task(work))

    def _keep(self, task: asyncio.Task) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """The server is stopping: calls are hung up (their records kept), answers stopped."""
        for conversation in list(self.conversations.values()):
            if conversation.call is not None:
                await conversation.call.hang_up()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.assistant.close()
        if self.calls is not None:
            await self.calls.assistant.close()
