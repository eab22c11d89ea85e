"""What a call tells whoever measures it (benchmarks, tests); a server's calls tell no one."""

from voice.call_state import CallState


class CallObserver:
    """Each hook does nothing here: override the ones you measure. Times are call time."""

    def state_changed(self, old: CallState, new: CallState, at: float) -> None:
        pass

    def utterance_ended(self, speech_end: float, trailing_silence_s: float) -> None:
        """The endpointer ended a caller turn, ``trailing_silence_s`` after the caller's voice stopped."""

    def answer_started(self, speech_end: float, first_frame_at: float) -> None:
        """The first frame of the answer to the caller's turn that ended at ``speech_end`` was sent."""
