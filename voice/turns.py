"""What the dialogue takes from the caller's side of the line, one turn at a time."""

import enum
from dataclasses import dataclass
from typing import Optional


class TurnKind(enum.Enum):
    SPEECH = "speech"  # an utterance, as the recognizer heard it (empty text: nothing understood)
    KEYS = "dtmf"  # a keypad entry
    NO_INPUT = "no_input"  # the caller said nothing for a while
    ON_HOLD = "on_hold"  # a caller waiting for an agent has heard nothing for a while
    RESUME = "resume"  # only a noise cut the bot off: go on with what it had not said
    TOO_LONG = "too_long"  # the call reached its maximum length


@dataclass
class Turn:
    kind: TurnKind
    text: str = ""
    confidence: Optional[float] = None
    speech_end: Optional[float] = None  # call time the caller stopped speaking
