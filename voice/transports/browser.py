"""Calls from the web page (voice/web/): the page's websocket carries the microphone in
(16 kHz 16-bit PCM, binary frames) and the bot's audio out, and the call's state and transcript
as JSON events (voice/web/protocol.py) that the chat shows as it goes.

The call runs in the page's conversation, so what was said in the chat and on the call is one
conversation in the tracker store.
"""

import asyncio
import logging
import time
from typing import Callable, Optional

from voice.call_events import CallObserver
from voice.call_state import (
    COLLECTING_KEYS,
    GREETING,
    LISTENING,
    RECOGNIZING,
    SPEAKING,
    THINKING,
    WITH_AGENT,
    CallState,
)
from voice.calls import CallServices
from voice.transports.connection import CallConnection
from voice.web.protocol import KEYS, bot_message, customer_message

log = logging.getLogger(__name__)
PAGE_RATE = 16000
Send = Callable[[object], None]  # a JSON event (dict) or audio (bytes) to one page, in order
SHOWN_STATES = {
    GREETING: "speaking",
    SPEAKING: "speaking",
    LISTENING: "listening",
    COLLECTING_KEYS: "listening",
    RECOGNIZING: "thinking",
    THINKING: "thinking",
    WITH_AGENT: "agent",  # a person from the agent desk talks with the caller
}


class PageOutput:
    """The way back to the page that started the call."""

    def __init__(self, send: Send) -> None:
        self.send = send

    async def send_audio(self, pcm: bytes) -> None:
        self.send(pcm)

    async def clear(self) -> None:
        self.send({"type": "clear"})

    async def hang_up(self) -> None:
        pass  # the page is told when the session is over (PageCall.run)


class CallTranscript(CallObserver):
    """Tells the conversation's pages where the call is and what is said on it."""

    def __init__(
        self,
        publish: Send,
        clock: Callable[[], float] = time.time,
        on_handoff: Optional[Callable[[dict], None]] = None,
    ) -> None:
        self.publish, self.clock, self.on_handoff = publish, clock, on_handoff

    def state_changed(self, old: CallState, new: CallState, at: float) -> None:
        shown = SHOWN_STATES.get(new)
        if shown and shown != SHOWN_STATES.get(old):
            self.publish({"type": "call", "state": shown})

    def heard(self, text: str, final: bool) -> None:
        self.publish({"type": "heard", "text": text, "final": final})
        if final:
            self.publish({"type": "message", **customer_message(text, self.clock(), "call")})

    def replied(self, text: str) -> None:
        self.publish({"type": "message", **bot_message(text, [], self.clock(), "call")})

    def handoff_requested(self, handoff: dict) -> None:
        if self.on_handoff is not None:
            self.on_handoff(handoff)


class PageCall(CallConnection):
    """``session`` (CallConnection) is the call once ``run`` has started it: the agent desk takes
    the call over through it (``join_agent``, ``agent_audio``, ``agent_left``)."""

    log = log

    def __init__(
        self,
        services: CallServices,
        conversation_id: str,
        send: Send,
        publish: Send,
        on_handoff: Optional[Callable[[dict], None]] = None,
    ) -> None:
        super().__init__()
        self.services, self.conversation_id, self.send, self.publish = services, conversation_id, send, publish
        self.on_handoff = on_handoff  # the assistant handed the caller to a person: the agent desk queues them

    async def run(self) -> None:
        """The whole call; the pages hear that it ended, and why."""
        session = self.services.session(
            PageOutput(self.send), PAGE_RATE, "web", conversation_id=self.conversation_id,
            observer=CallTranscript(self.publish, on_handoff=self.on_handoff),
        )  # fmt: skip
        self.publish({"type": "call", "state": "started"})
        self.start_session(session)
        reason = "error"
        try:
            record = await self.run_task if self.run_task is not None else None
            reason = record.end_reason if record is not None else "error"
        except Exception:
            self.log.exception("web call %s failed", session.call_id)
        finally:
            self.publish({"type": "call", "state": "ended", "reason": reason})

    def feed(self, pcm: bytes) -> Optional[str]:
        """Audio from the page; a reason when it is not audio this call takes."""
        if len(pcm) % 2:
            return f"audio frame of {len(pcm)} bytes is not 16-bit PCM"
        if self.session is not None:
            self.session.feed_audio(pcm)
        return None

    def press(self, key: str) -> Optional[str]:
        if key not in KEYS:
            return f"{key!r} is not a key"
        if self.session is not None:
            self.session.press(key)
        return None

    async def hang_up(self) -> None:
        await self.end_session()


def start(
    services: CallServices,
    conversation_id: str,
    send: Send,
    publish: Send,
    on_handoff: Optional[Callable[[dict], None]] = None,
) -> "tuple[PageCall, asyncio.Task]":
    call = PageCall(services, conversation_id, send, publish, on_handoff)
    return call, asyncio.create_task(call.run(), name=f"web call in {conversation_id[:12]}")
