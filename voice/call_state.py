"""The states of a phone call and the moves between them, all listed in ``TRANSITIONS``.

The dialogue moves the call through the bot's turn (greeting, thinking, speaking, handing off) and
gives the floor back to the caller; the listener notices an utterance that ends while the caller
has the floor; a key press starts an entry; a person from the agent desk can take the call over
from any live state and hands it back to the bot (speaking its hand-back notice, or listening); a
hang-up, a goodbye, the maximum call length or a failure ends the call from any state. What the bot
says, and the caller's turns waiting to be taken, are not states.
"""

import enum
import logging
from typing import Callable, ClassVar, Optional

log = logging.getLogger(__name__)


class CallState(enum.Enum):
    GREETING = "greeting"  # the call has just started: the greeting is fetched and spoken
    LISTENING = "listening"  # the caller has the floor; silence counts towards a reprompt
    COLLECTING_KEYS = "collecting keys"  # keys pressed, the entry not finished yet
    RECOGNIZING = "recognizing"  # the caller's utterance ended; the recognizer makes a turn of it
    THINKING = "thinking"  # a turn was taken: the assistant is asked, none of its answer played yet
    SPEAKING = "speaking"  # an answer, or the voice layer's own prompt, is being played
    HANDING_OFF = "handing off"  # the caller stayed silent after the reprompts: a human is offered
    # A person holds the call: the caller's audio goes to them and theirs to the caller; the bot
    # neither listens nor speaks, and silence is not the caller's (no reprompt, no offer of a human).
    WITH_AGENT = "with agent"
    ENDED = "ended"


GREETING, LISTENING, COLLECTING_KEYS, RECOGNIZING, THINKING, SPEAKING, HANDING_OFF, WITH_AGENT, ENDED = CallState

CALLER_HAS_FLOOR = frozenset({LISTENING, COLLECTING_KEYS, RECOGNIZING})
BOT_HAS_FLOOR = frozenset({GREETING, THINKING, SPEAKING, HANDING_OFF})  # the caller can barge in
AGENT_HAS_FLOOR = frozenset({WITH_AGENT})  # the caller talks with a person; the bot is out of it

# The dialogue takes whatever turn is next, whatever the caller was doing: a caller's words or
# keys (thinking), a reprompt, "not heard", a resumed or a too-long notice (speaking), or the
# last silence (handing off).
_TURN_TAKEN = {THINKING, SPEAKING, HANDING_OFF}
# After the bot's turn: an utterance the caller began meanwhile may still be being recognized,
# and keys pressed meanwhile may still wait for the rest of their entry.
_FLOOR_GIVEN = {LISTENING, COLLECTING_KEYS, RECOGNIZING}

# An agent may take the call over whatever the bot or the caller is doing (with agent).
TRANSITIONS: dict[CallState, frozenset[CallState]] = {
    GREETING: frozenset({*_FLOOR_GIVEN, SPEAKING, WITH_AGENT, ENDED}),  # speaking: "the assistant is down"
    LISTENING: frozenset({COLLECTING_KEYS, RECOGNIZING, *_TURN_TAKEN, WITH_AGENT, ENDED}),
    COLLECTING_KEYS: frozenset({LISTENING, *_TURN_TAKEN, WITH_AGENT, ENDED}),  # listening: the entry was erased
    RECOGNIZING: frozenset({LISTENING, *_TURN_TAKEN, WITH_AGENT, ENDED}),  # listening: it was only noise
    # floor: an answer with nothing to play, or cut off
    THINKING: frozenset({SPEAKING, *_FLOOR_GIVEN, WITH_AGENT, ENDED}),
    SPEAKING: frozenset({*_FLOOR_GIVEN, WITH_AGENT, ENDED}),
    HANDING_OFF: frozenset({SPEAKING, WITH_AGENT, *_FLOOR_GIVEN, ENDED}),  # floor: on hold for the agent desk
    # Handed back: the bot speaks its hand-back notice, or gives the caller the floor at once;
    # speaking is also the too-long notice when the maximum call length comes with the agent on.
    WITH_AGENT: frozenset({SPEAKING, LISTENING, ENDED}),
    ENDED: frozenset(),
}


class IllegalTransition(RuntimeError):
    pass


class CallStates:
    """The call's current state, when it was entered, and the one way to change it.

    A move the table does not list is logged and refused; with ``strict`` (the tests) it raises.
    Moving to the state the call is in changes nothing. Once ended, a call stays ended: another
    task's late move (a turn taken just as the caller hung up) is ignored, not an error.
    """

    strict: ClassVar[bool] = False

    def __init__(
        self, now: Callable[[], float], on_change: Optional[Callable[[CallState, CallState], None]] = None
    ) -> None:
        self._now, self._on_change = now, on_change
        self.state = GREETING
        self.since = now()

    def go(self, new: CallState) -> bool:
        """Moves to ``new``; False if the move was refused."""
        old = self.state
        if new is old:
            return True
        if old is ENDED:
            log.debug("call already ended: not moving to %s", new.value)
            return False
        if new not in TRANSITIONS[old]:
            log.error("call state: %s → %s is not a transition of a call; staying %s", old.value, new.value, old.value)
            if self.strict:
                raise IllegalTransition(f"{old.value} → {new.value}")
            return False
        self.state, self.since = new, self._now()
        if self._on_change is not None:
            self._on_change(old, new)
        return True

    def is_in(self, states: frozenset) -> bool:
        return self.state in states
