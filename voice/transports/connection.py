"""What both telephony servers do for each connection: run one call session, and log and
record how the connection ended."""

import asyncio
import logging
from typing import Optional

from voice.session import CallSession


class CallConnection:
    log = logging.getLogger(__name__)

    def __init__(self) -> None:
        self.session: Optional[CallSession] = None
        self.run_task: Optional[asyncio.Task] = None

    def start_session(self, session: CallSession) -> None:
        self.session = session
        self.run_task = asyncio.create_task(session.run())

    def note(self, text: str, level: int) -> None:
        """Logs how the connection ended and, for a started call, keeps it in the call record."""
        if self.session is None:
            self.log.log(level, "call (not started): %s", text)
        elif self.session.ended:  # we hung up: nothing went wrong
            self.log.debug("call %s: %s", self.session.call_id, text)
        else:
            self.log.log(level, "call %s: %s", self.session.call_id, text)
            self.session.record.add(self.session.clock.now(), "event", text)

    async def end_session(self) -> None:
        if self.session is None or self.run_task is None:
            return
        self.session.caller_hung_up()
        try:
            await self.run_task
        except Exception:
            self.log.exception("call %s failed", self.session.call_id)
