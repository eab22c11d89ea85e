"""The agent desk: customers waiting for a person, the agents online, and who holds which
conversation. The websocket protocol is in voice/desk/routes.py.

A conversation reaches the desk when the assistant hands it over (a ``handoff`` reply, see
actions/handoff.py), which it does only when ``status()`` says an agent is available within
service hours. An agent takes it: Rasa is paused (voice/rasa_channel.py ``desk_turn``) and writes
down what is said without answering; on a call the bot stops speaking and listening and the
call's audio goes to and from the agent's browser. Giving it back or closing it resumes the bot.
What agents see is masked as call records are (phone numbers, cards, codes).
"""

import asyncio
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Protocol, Set

from voice.assistant import AssistantUnavailable, Reply
from voice.call_record import mask_numbers
from voice.desk.hours import ServiceHours
from voice.desk.queue import Waiting, WaitingQueue
from voice.web.protocol import MAX_TEXT, agent_message, bot_message, customer_message, shown_messages

log = logging.getLogger(__name__)
Send = Callable[[object], None]  # a JSON event (dict) or caller audio (bytes) to an agent's page
CUSTOMER_GONE_GRACE_S = 30.0  # a reload is not leaving
AGENT_GONE_GRACE_S = 60.0  # an agent whose desk dropped gets this long to come back


class DeskAssistant(Protocol):
    """Rasa as the desk uses it (voice/assistant.py RasaAssistant)."""

    async def desk(self, conversation_id: str, do: str, agent: str, **words: str) -> List[Reply]: ...

    async def history(self, conversation_id: str) -> List[dict]: ...


class CallSide(Protocol):
    """What the desk needs of a live call (voice/session.py CallSession)."""

    def join_agent(self, name: str, hear: Callable[[bytes], None]) -> None: ...

    def agent_audio(self, pcm16k: bytes) -> None: ...

    def agent_left(self, replies=()) -> None: ...

    @property
    def ended(self) -> bool: ...


class Customer(Protocol):
    """A conversation as the gateway that holds it lets the desk reach it."""

    @property
    def rasa_id(self) -> str: ...

    def show(self, event: dict) -> None:
        """To every page of the conversation (nothing on a phone line)."""

    def call(self) -> Optional[CallSide]:
        """The conversation's live call, if any."""

    async def hang_up(self) -> None: ...


@dataclass(frozen=True)
class Agent:
    username: str
    name: str


@dataclass(eq=False)
class Seat:
    agent: Agent
    send: Optional[Send] = None  # None while the agent's desk is disconnected
    available: bool = True
    held: Set[str] = field(default_factory=set)  # desk keys
    on_call: Optional[str] = None
    gone: Optional[asyncio.TimerHandle] = None


@dataclass(eq=False)
class Served:
    """One conversation the desk knows: waiting or held."""

    key: str
    customer: Customer
    channel: str  # chat | call
    ticket: str
    summary: dict
    priority: str
    agent: Optional[str] = None  # the username holding it
    gone: Optional[asyncio.TimerHandle] = None


class DeskError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class Desk:
    def __init__(
        self,
        chat_assistant: DeskAssistant,
        call_assistant: Optional[DeskAssistant],
        hours: ServiceHours,
        max_per_agent: int = 3,
        clock: Callable[[], float] = time.time,
        customer_grace_s: float = CUSTOMER_GONE_GRACE_S,
        agent_grace_s: float = AGENT_GONE_GRACE_S,
    ) -> None:
        self.assistants: Dict[str, DeskAssistant] = {"chat": chat_assistant, "call": call_assistant or chat_assistant}
        self.hours, self.max_per_agent, self.clock = hours, max_per_agent, clock
        self.customer_grace_s, self.agent_grace_s = customer_grace_s, agent_grace_s
        self.queue = WaitingQueue()
        self.seats: Dict[str, Seat] = {}
        self.served: Dict[str, Served] = {}  # key → conversation
        self._keys: Dict[str, str] = {}  # rasa id → key

    # ------------------------------------------------------------------ what Rasa is told
    def status(self) -> dict:
        """Sent with every customer message (metadata ``desk``): may the bot hand over now?"""
        agents = sum(1 for seat in self.seats.values() if seat.send is not None and seat.available)
        return {"live": True, "open": self.hours.open_at(self.clock()), "agents": agents, "hours": str(self.hours)}

    # ------------------------------------------------------------------ customers
    def request(self, customer: Customer, handoff: dict, channel: str) -> None:
        """The assistant handed the conversation over: it waits in the queue."""
        key = self._keys.get(customer.rasa_id)
        served = self.served.get(key) if key else None
        if served is not None and served.agent is not None:
            served.customer, served.channel = customer, channel
            return
        key = key or secrets.token_urlsafe(9)
        self._keys[customer.rasa_id] = key
        priority = "urgent" if handoff.get("priority") == "urgent" else "normal"
        summary: dict = handoff["summary"] if isinstance(handoff.get("summary"), dict) else {}
        self.served[key] = Served(key, customer, channel, str(handoff.get("ticket") or ""), summary, priority)
        self.queue.add(Waiting(key, channel, priority, self.clock(), str(handoff.get("ticket") or ""), summary))
        log.info("desk: %s waiting (%s, %s)", str(handoff.get("ticket") or "?"), channel, priority)
        self._broadcast_queue()

    def holds(self, rasa_id: str) -> bool:
        """An agent holds the conversation (the bot is silent in it)."""
        served = self._served_by_rasa_id(rasa_id)
        return served is not None and served.agent is not None

    def customer_said(self, rasa_id: str, text: str, via: str) -> None:
        served = self._served_by_rasa_id(rasa_id)
        if served is not None and served.agent is not None:
            self._to_agent(
                served.agent,
                {"type": "message", "id": served.key, **customer_message(mask_numbers(text), self.clock(), via)},
            )

    def customer_back(self, rasa_id: str) -> None:
        served = self._served_by_rasa_id(rasa_id)
        if served is not None and served.gone is not None:
            served.gone.cancel()
            served.gone = None

    def customer_left(self, rasa_id: str, now: bool = False) -> None:
        """No page shows the conversation any more (or its call ended, ``now``): after a grace
        period for reloads, it leaves the queue, or its agent is told and the bot resumed."""
        served = self._served_by_rasa_id(rasa_id)
        if served is None:
            return
        if now or self.customer_grace_s <= 0:
            asyncio.get_running_loop().create_task(self._customer_gone(served))
        elif served.gone is None:
            served.gone = asyncio.get_running_loop().call_later(
                self.customer_grace_s, lambda: asyncio.ensure_future(self._customer_gone(served))
            )

    async def _customer_gone(self, served: Served) -> None:
        served.gone = None
        if self.served.get(served.key) is not served:
            return
        if served.agent is None:
            self._forget(served)
            self._broadcast_queue()
            return
        agent = served.agent
        self._release(served, "left")
        try:
            await self.assistants[served.channel].desk(
                served.customer.rasa_id, "give_back", self.seats[agent].agent.name
            )
        except AssistantUnavailable as exc:
            log.error("desk: could not resume the bot for %s: %s", served.ticket, exc)

    # ------------------------------------------------------------------ agents
    def connect(self, agent: Agent, send: Send) -> Seat:
        seat = self.seats.get(agent.username)
        if seat is None:
            seat = self.seats[agent.username] = Seat(agent)
        elif seat.send is not None:
            seat.send({"type": "error", "code": "replaced"})
        if seat.gone is not None:
            seat.gone.cancel()
            seat.gone = None
        seat.send = send
        send({
            "type": "welcome", "agent": {"username": agent.username, "name": agent.name},
            "max_conversations": self.max_per_agent, "hours": str(self.hours), "open": self.hours.open_at(self.clock()),
            "available": seat.available,
        })  # fmt: skip
        send(self._queue_event())
        self._send_held(seat)
        return seat

    async def reconnected(self, seat: Seat) -> None:
        """A reloaded desk gets the history of what it holds again."""
        for key in list(seat.held):
            await self._send_history(seat, self.served[key])

    def disconnect(self, seat: Seat, send: Send) -> None:
        if seat.send != send:
            return  # an older socket of an agent who reconnected
        seat.send = None
        if seat.on_call is not None and (served := self.served.get(seat.on_call)) is not None:
            call = served.customer.call()
            if call is not None and not call.ended:
                call.agent_left(())  # the caller goes back to the bot rather than into silence
            seat.on_call = None
        if seat.held:
            seat.gone = asyncio.get_running_loop().call_later(
                self.agent_grace_s, lambda: asyncio.ensure_future(self._agent_gone(seat))
            )
        self._broadcast_queue()

    async def _agent_gone(self, seat: Seat) -> None:
        seat.gone = None
        for key in list(seat.held):
            await self.give_back(seat, key)

    def set_available(self, seat: Seat, on: bool) -> None:
        seat.available = bool(on)
        self._broadcast_queue()

    async def take(self, seat: Seat, key: str) -> None:
        served = self.served.get(key)
        if served is None or (served.agent is not None and served.agent != seat.agent.username):
            raise DeskError("taken")
        if served.agent == seat.agent.username:
            return
        if len(seat.held) >= self.max_per_agent:
            raise DeskError("too_many")
        self.queue.remove(key)
        served.agent = seat.agent.username
        seat.held.add(key)
        try:
            replies = await self.assistants[served.channel].desk(served.customer.rasa_id, "take", seat.agent.name)
        except AssistantUnavailable:
            served.agent = None
            seat.held.discard(key)
            self.queue.add(Waiting(key, served.channel, served.priority, self.clock(), served.ticket, served.summary))
            self._broadcast_queue()
            raise DeskError("assistant_unavailable") from None
        log.info("desk: %s took %s", seat.agent.username, served.ticket)
        self._bot_said(served, replies)
        call = served.customer.call()
        if served.channel == "call" and call is not None and not call.ended and seat.on_call is None:
            self._join(seat, served, call, "waiting")  # the bot stops at once; the agent's page answers (join_call)
        self._broadcast_queue()
        self._send_held(seat)
        await self._send_history(seat, served)

    def say(self, seat: Seat, key: str, text: str) -> "asyncio.Future":
        served = self._held_by(seat, key)
        text = text.strip() if isinstance(text, str) else ""
        if not text or len(text) > MAX_TEXT:
            raise DeskError("bad_message")
        via = "call" if served.channel == "call" else "chat"
        shown = agent_message(seat.agent.name, text, self.clock(), via)
        served.customer.show({"type": "message", **shown})
        self._to_agent(seat.agent.username, {"type": "message", "id": key, **{**shown, "text": mask_numbers(text)}})
        return asyncio.ensure_future(self._write_down(served, seat.agent.name, text))

    async def _write_down(self, served: Served, name: str, text: str) -> None:
        try:
            await self.assistants[served.channel].desk(served.customer.rasa_id, "say", name, text=text)
        except AssistantUnavailable as exc:
            log.error("desk: an agent's message in %s was not written down: %s", served.ticket, exc)

    async def give_back(self, seat: Seat, key: str) -> None:
        await self._end(seat, key, "give_back", "")

    async def close(self, seat: Seat, key: str, note: str) -> None:
        note = note.strip() if isinstance(note, str) else ""
        if not note or len(note) > MAX_TEXT:
            raise DeskError("bad_message")
        await self._end(seat, key, "close", note)

    async def _end(self, seat: Seat, key: str, do: str, note: str) -> None:
        served = self._held_by(seat, key)
        try:
            replies = await self.assistants[served.channel].desk(
                served.customer.rasa_id, do, seat.agent.name, note=note
            )
        except AssistantUnavailable:
            raise DeskError("assistant_unavailable") from None
        call = served.customer.call()
        on_this_call = seat.on_call == key
        self._release(served, "given_back" if do == "give_back" else "closed")
        if on_this_call and call is not None and not call.ended and do == "give_back":
            call.agent_left([r.text for r in replies if r.text])  # spoken, and shown by the call's page
        else:
            self._bot_said(served, replies)
            if on_this_call and call is not None and not call.ended:
                await served.customer.hang_up()  # the agent said goodbye themselves
        log.info("desk: %s %s %s", seat.agent.username, "gave back" if do == "give_back" else "closed", served.ticket)

    def join_call(self, seat: Seat, key: str) -> None:
        served = self._held_by(seat, key)
        call = served.customer.call()
        if call is None or call.ended:
            raise DeskError("no_call")
        if seat.on_call not in (None, key):
            raise DeskError("too_many")
        self._join(seat, served, call)

    def leave_call(self, seat: Seat, key: str) -> "asyncio.Future":
        self._held_by(seat, key)
        if seat.on_call != key:
            raise DeskError("no_call")
        return asyncio.ensure_future(self.give_back(seat, key))

    def agent_audio(self, seat: Seat, pcm: bytes) -> None:
        served = self.served.get(seat.on_call) if seat.on_call else None
        call = served.customer.call() if served is not None else None
        if call is None or call.ended or len(pcm) % 2:
            raise DeskError("no_call")
        call.agent_audio(pcm)

    def call_ended(self, rasa_id: str, chatting: bool = False) -> None:
        """The customer's call ended: the agent on it is told. A customer still on the chat page
        (``chatting``) goes on there by text with the same agent; otherwise they have left."""
        served = self._served_by_rasa_id(rasa_id)
        if served is None:
            return
        for seat in self.seats.values():
            if seat.on_call == served.key:
                seat.on_call = None
                self._to_agent(seat.agent.username, {"type": "call", "id": served.key, "state": "ended"})
        if served.channel != "call":
            return
        if chatting:
            served.channel = "chat"
            if served.agent is None:  # keeps their place
                self.queue.add(
                    Waiting(served.key, "chat", served.priority, self.clock(), served.ticket, served.summary)
                )
            self._broadcast_queue()
            if served.agent is not None:
                self._send_held(self.seats[served.agent])
        else:
            self.customer_left(rasa_id, now=True)

    # ------------------------------------------------------------------ inside
    def _join(self, seat: Seat, served: Served, call: CallSide, shown: str = "joined") -> None:
        username = seat.agent.username
        call.join_agent(seat.agent.name, lambda pcm: self._to_agent(username, pcm))
        seat.on_call = served.key
        self._to_agent(username, {"type": "call", "id": served.key, "state": shown})

    def _held_by(self, seat: Seat, key: str) -> Served:
        served = self.served.get(key)
        if served is None or served.agent != seat.agent.username:
            raise DeskError("not_held")
        return served

    def _release(self, served: Served, how: str) -> None:
        seat = self.seats.get(served.agent or "")
        if seat is not None:
            seat.held.discard(served.key)
            if seat.on_call == served.key:
                seat.on_call = None
                self._to_agent(seat.agent.username, {"type": "call", "id": served.key, "state": "left"})
            self._to_agent(seat.agent.username, {"type": "released", "id": served.key, "how": how})
            self._send_held(seat)
        self._forget(served)

    def _forget(self, served: Served) -> None:
        self.queue.remove(served.key)
        self.served.pop(served.key, None)
        if self._keys.get(served.customer.rasa_id) == served.key:
            del self._keys[served.customer.rasa_id]
        if served.gone is not None:
            served.gone.cancel()

    def _bot_said(self, served: Served, replies: List[Reply]) -> None:
        via = "call" if served.channel == "call" else "chat"
        for reply in replies:
            if not reply.text:
                continue
            shown = bot_message(reply.text, reply.buttons, self.clock(), via)
            served.customer.show({"type": "message", **shown})
            if served.agent is not None:
                self._to_agent(served.agent, {"type": "message", "id": served.key, **shown})

    async def _send_history(self, seat: Seat, served: Served) -> None:
        try:
            said = await self.assistants["chat"].history(served.customer.rasa_id)
        except AssistantUnavailable:
            said = []
        messages = [{**m, "text": mask_numbers(m.get("text") or "")} for m in shown_messages(said)]
        self._to_agent(seat.agent.username, {"type": "history", "id": served.key, "messages": messages})

    def _served_by_rasa_id(self, rasa_id: str) -> Optional[Served]:
        key = self._keys.get(rasa_id)
        return self.served.get(key) if key else None

    def _to_agent(self, username: str, item: object) -> None:
        seat = self.seats.get(username)
        if seat is not None and seat.send is not None:
            seat.send(item)

    def _queue_event(self) -> dict:
        return {"type": "queue", "waiting": [w.shown() for w in self.queue.ordered()]}

    def _broadcast_queue(self) -> None:
        event = self._queue_event()
        for seat in self.seats.values():
            if seat.send is not None:
                seat.send(event)

    def _send_held(self, seat: Seat) -> None:
        held = [self.served[key] for key in sorted(seat.held) if key in self.served]
        self._to_agent(seat.agent.username, {
            "type": "held",
            "conversations": [
                {"id": s.key, "channel": s.channel, "ticket": s.ticket, "summary": s.summary, "priority": s.priority}
                for s in held
            ],
        })  # fmt: skip
