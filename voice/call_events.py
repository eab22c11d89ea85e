"""What a call tells whoever follows it: benchmarks and tests measure it, the web page shows its
transcript as it goes; a phone line's calls tell no one."""

from voice.call_state import CallState


class CallObserver:
    """Each hook does nothing here: override the ones you measure. Times are call time."""

    def state_changed(self, old: CallState, new: CallState, at: float) -> None:
        pass

    def utterance_ended(self, speech_end: float, trailing_silence_s: float) -> None:
        """The endpointer ended a caller turn, ``trailing_silence_s`` after the caller's voice stopped."""

    def answer_started(self, speech_end: float, first_frame_at: float) -> None:
        """The first frame of the answer to the caller's turn that ended at ``speech_end`` was sent."""

    def heard(self, text: str, final: bool) -> None:
        """The caller's words as recognized: while they speak (``final`` False, the text so far), and
        the turn's words once it ended (not for keys: those may be a code)."""

    def replied(self, text: str) -> None:
        """The call says ``text`` (an answer of the assistant, or the call's own prompt)."""

    def handoff_requested(self, handoff: dict) -> None:
        """The assistant handed the caller to a person (actions/handoff.py): the ticket, the
        summary and the priority; whoever runs the agent desk queues the call."""

    def agent_joined(self, name: str) -> None:
        """A person from the agent desk took the call over (``CallSession.join_agent``): the bot
        stopped, the caller now talks with them. The state is already ``WITH_AGENT``."""

    def agent_left(self) -> None:
        """The agent handed the call back (``CallSession.agent_left``): the bot speaks its hand-back
        notice, if it was given one, and listens to the caller again."""
