"""Rasa input channels for the project's own gateways (voice/): ``voice`` for calls, ``web`` for
the web page's chat, and optionally a token-protected ``rest`` for other servers.

Each is Rasa's REST webhook, POST /webhooks/<name>/webhook with
{"sender": <conversation id>, "message": <text>, "metadata": {...}, "message_id": <id>?}, answered
as a JSON list of the bot's messages, or with "stream": true one JSON message per line, each sent
as soon as the bot utters it (a call starts speaking the first while later actions still run).
The output channel carries the input channel's name, so responses with ``channel: voice`` win
on calls. GET /webhooks/<name>/history?sender=… gives a conversation's messages from the
tracker store (the web page restores its history from it). POST /webhooks/<name>/desk is the
agent desk's (voice/desk/): an agent takes the conversation (the bot says so and is paused),
speaks in it, gives it back or closes it (the bot is resumed and says so) — see ``desk_turn``.

Whoever can post here can speak in any conversation: with ``token_env`` in the credentials
(bot/credentials-serve.yml, `make serve`), every request must carry
``Authorization: Bearer <that environment variable>``; without the variable the channel refuses
all requests. bot/credentials.yml (tests, `make call`, servers on a random loopback port) has none.
"""

import asyncio
import hmac
import json
import logging
import os
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.core.policies.policy import PolicyPrediction
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.events import ActionExecuted, BotUttered, ConversationPaused, ConversationResumed, SlotSet
from sanic import Blueprint, response
from sanic.request import Request

from voice.call_record import mask_numbers

log = logging.getLogger(__name__)
NewMessage = Callable[[UserMessage], Awaitable[Any]]
# what the gateway is told about each message besides its text, by the key it is sent under
FORWARDED = {"utter_action": "response", "requested_slot": "requested_slot", "values": "values"}
MAX_MESSAGE_ID = 64
MAX_AGENT_TEXT = 500
# what the desk asks → (the slots it sets, the action the bot runs, whether the bot is paused after)
DESK_TURNS = {
    "take": (("agent_name",), "action_agent_joined", True),
    "give_back": ((), "action_agent_gave_back", False),
    "close": (("handoff_note",), "action_agent_closed", False),
}


class GatewayOutput(CollectingOutputChannel):
    """Also tells the gateway which response each message came from (to hang up after goodbye),
    the slot it asks for (the grammar to listen with) and its typed values (bot/nlg.py);
    with a queue, hands each message on as it is sent."""

    channel = "voice"

    def __init__(self, queue: Optional[asyncio.Queue] = None) -> None:
        super().__init__()
        self.queue = queue

    @classmethod
    def name(cls) -> Text:
        return cls.channel

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        before = len(self.messages)
        about = {sent_as: message[key] for key, sent_as in FORWARDED.items() if message.get(key)}
        await super().send_response(recipient_id, dict(message))
        for sent in self.messages[before:]:
            sent.update(about)
            if self.queue is not None:
                self.queue.put_nowait(sent)


class VoiceOutput(GatewayOutput):
    channel = "voice"


class WebOutput(GatewayOutput):
    channel = "web"


class RestOutput(GatewayOutput):
    channel = "rest"


def _streamed(on_new_message: NewMessage, message: UserMessage, queue: asyncio.Queue):
    async def handle() -> None:
        try:
            await on_new_message(message)
        except Exception:  # as Rasa's REST channel: the messages so far still go out, then the failure
            log.exception("%s channel: handling a message of %s failed", message.input_channel, message.sender_id)
            queue.put_nowait({"error": "handling the message failed"})  # e.g. the lock store is down
        finally:
            queue.put_nowait(None)

    async def write(resp) -> None:
        handling = asyncio.ensure_future(handle())
        while (sent := await queue.get()) is not None:
            await resp.write(_json_line(sent))
        await handling

    return write


def _json_line(message: dict) -> str:
    line = json.dumps(message, ensure_ascii=False)
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (the customer's words in a reply): escaped, which JSON allows
        line = json.dumps(message)
    return line + "\n"


def history_of(tracker) -> List[dict]:
    """The conversation's messages, oldest first: what the customer and the bot said, when, and
    by which channel (a tracker holds the whole conversation, sessions included). A bot message
    went out on the channel of the customer message it answers."""
    said: List[dict] = []
    channel = None
    for event in tracker.events if tracker is not None else []:
        if event.type_name == "user":
            channel = event.input_channel
            said.append(
                {
                    "from": "customer",
                    "text": event.text or "",
                    "ts": event.timestamp,
                    "message_id": event.message_id,
                    "channel": event.input_channel,
                    "metadata": event.metadata or {},
                }
            )
        elif event.type_name == "bot":
            agent = (event.metadata or {}).get("agent")
            said.append(
                {
                    "from": "agent" if agent else "bot",
                    "text": event.text or "",
                    "ts": event.timestamp,
                    "buttons": (event.data or {}).get("buttons") or [],
                    "channel": channel,
                    **({"agent": agent} if agent else {}),
                }
            )
    return said


async def desk_turn(agent, sender: str, body: dict, output: CollectingOutputChannel) -> Optional[str]:
    """Does what the agent desk asks in ``sender``'s conversation, under the conversation's lock;
    the bot's words go to ``output``. None, or what is wrong with the request.

    ``take``: the agent's name is set, the bot says they joined and is paused (Rasa still writes
    down what the customer says, without answering). ``say``: the agent's words are written down
    as a bot message marked with the agent. ``give_back`` / ``close`` (with the agent's note): the
    bot is resumed, closes the ticket (actions/handoff.py) and says so; it answers the next message.
    """
    do, name = body.get("do"), body.get("agent")
    if not isinstance(name, str) or not name.strip():
        return "'agent' must name the agent"
    text = body.get("text") if do == "say" else body.get("note", "")
    if do not in (*DESK_TURNS, "say") or not isinstance(text, str) or len(text) > MAX_AGENT_TEXT:
        return f"'do' must be take, say, give_back or close, with 'text' / 'note' of at most {MAX_AGENT_TEXT}"
    if do == "say" and not text.strip():
        return "'text' must not be empty"
    processor = agent.processor
    async with agent.lock_store.lock(sender):
        tracker = await processor.fetch_tracker_and_update_session(sender, output)
        if do == "say":
            # kept masked, as the desk shows it: the customer saw the words live; at rest no full number
            tracker.update(BotUttered(mask_numbers(text.strip()), metadata={"agent": name.strip()}))
            await processor.save_tracker(tracker)
            return None
        slots, action, paused = DESK_TURNS[do]
        values = {"agent_name": name.strip(), "handoff_note": text.strip()}
        for slot in slots:
            tracker.update(SlotSet(slot, values[slot]))
        if not paused:
            tracker.update(ConversationResumed())
        await processor.save_tracker(tracker)
        prediction = PolicyPrediction.for_action_name(agent.domain, action)
        tracker = await processor.execute_action(sender, action, output, processor.nlg, prediction)
        tracker.update(ActionExecuted(ACTION_LISTEN_NAME))  # the next customer message is answered as usual
        if paused:
            tracker.update(ConversationPaused())
        await processor.save_tracker(tracker)
    return None


class GatewayInput(InputChannel):
    output = VoiceOutput

    def __init__(self, token_env: Optional[str] = None) -> None:
        self.token_env = token_env

    @classmethod
    def name(cls) -> Text:
        return cls.output.channel

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> InputChannel:
        return cls(token_env=(credentials or {}).get("token_env"))

    def refused(self, request: Request):
        """None when the request may use the channel, else the HTTP answer."""
        if not self.token_env:
            return None
        token = os.environ.get(self.token_env, "")
        if not token:
            log.error("%s channel: %s is not set; refusing every request", self.name(), self.token_env)
            return response.json({"error": f"the {self.name()} channel has no token configured"}, status=503)
        sent = request.headers.get("Authorization", "")
        if not hmac.compare_digest(sent.encode(), f"Bearer {token}".encode()):
            return response.json({"error": "missing or wrong bearer token"}, status=401)
        return None

    def blueprint(self, on_new_message: NewMessage) -> Blueprint:
        webhook = Blueprint(f"{self.name()}_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/history", methods=["GET"])
        async def history(request: Request):
            if (refusal := self.refused(request)) is not None:
                return refusal
            sender = request.args.get("sender")
            if not sender:
                return response.json({"error": "query parameter 'sender' is required"}, status=400)
            tracker = await request.app.ctx.agent.tracker_store.retrieve_full_tracker(sender)
            return response.json(history_of(tracker))

        @webhook.route("/desk", methods=["POST"])
        async def desk(request: Request):
            if (refusal := self.refused(request)) is not None:
                return refusal
            body = request.json if isinstance(request.json, dict) else {}
            sender = body.get("sender")
            if not isinstance(sender, str) or not sender:
                return response.json({"error": "body must be JSON with a string 'sender'"}, status=400)
            collector = self.output()
            problem = await desk_turn(request.app.ctx.agent, sender, body, collector)
            if problem is not None:
                return response.json({"error": problem}, status=400)
            return response.json(collector.messages)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            if (refusal := self.refused(request)) is not None:
                return refusal
            body = request.json if isinstance(request.json, dict) else {}
            sender, text, message_id = body.get("sender"), body.get("message"), body.get("message_id")
            if not isinstance(sender, str) or not isinstance(text, str) or not sender or not text:
                return response.json({"error": "body must be JSON with string 'sender' and 'message'"}, status=400)
            if message_id is not None and (not isinstance(message_id, str) or len(message_id) > MAX_MESSAGE_ID):
                return response.json(
                    {"error": f"'message_id' must be a string of at most {MAX_MESSAGE_ID}"}, status=400
                )
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            queue: Optional[asyncio.Queue] = asyncio.Queue() if body.get("stream") is True else None
            collector = self.output(queue)
            message = UserMessage(
                text, collector, sender, input_channel=self.name(), metadata=metadata, message_id=message_id
            )
            if queue is not None:
                return response.stream(_streamed(on_new_message, message, queue), content_type="application/x-ndjson")
            await on_new_message(message)
            return response.json(collector.messages)

        return webhook


class VoiceInput(GatewayInput):
    output = VoiceOutput


class WebInput(GatewayInput):
    output = WebOutput


class TokenRestInput(GatewayInput):
    """Rasa's REST webhook for other servers, only with a token (`make serve` with RASA_REST_TOKEN)."""

    output = RestOutput
