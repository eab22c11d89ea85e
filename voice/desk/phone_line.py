"""A phone-line call (Twilio Media Streams, AudioSocket) as the agent desk reaches it: there is
no page to show words on, so the desk talks to the caller through the call alone."""

from typing import Optional

from voice.call_events import CallObserver
from voice.call_state import ENDED, CallState
from voice.desk.desk import Desk
from voice.session import CallSession


class PhoneLineCustomer(CallObserver):
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.session: Optional[CallSession] = None  # set once the call's session exists

    @property
    def rasa_id(self) -> str:
        return self.session.conversation_id if self.session is not None else ""

    def show(self, event: dict) -> None:
        pass

    def call(self) -> Optional[CallSession]:
        return self.session

    async def hang_up(self) -> None:
        if self.session is not None:
            self.session.hang_up("agent_closed")

    def handoff_requested(self, handoff: dict) -> None:
        self.desk.request(self, handoff, "call")

    def state_changed(self, old: CallState, new: CallState, at: float) -> None:
        if new is ENDED and self.session is not None:
            self.desk.call_ended(self.rasa_id)
