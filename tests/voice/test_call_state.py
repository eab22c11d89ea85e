"""The call's states, move by move: every move the table lists is made, every other is refused."""

import logging

import pytest

from voice.call_state import (
    AGENT_HAS_FLOOR,
    BOT_HAS_FLOOR,
    CALLER_HAS_FLOOR,
    ENDED,
    GREETING,
    LISTENING,
    SPEAKING,
    TRANSITIONS,
    WITH_AGENT,
    CallState,
    CallStates,
    IllegalTransition,
)

ALLOWED = [(old, new) for old, targets in TRANSITIONS.items() for new in targets]
REFUSED = [
    (old, new)
    for old in CallState
    for new in CallState
    if old is not ENDED and new is not old and new not in TRANSITIONS[old]
]


class Stopwatch:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t


def states_in(state: CallState, clock: Stopwatch | None = None, changes: list | None = None) -> CallStates:
    states = CallStates(
        (clock or Stopwatch()).now, lambda old, new: changes.append((old, new)) if changes is not None else None
    )
    states.state = state
    return states


def test_every_state_has_its_moves_listed_and_only_ended_has_none():
    assert set(TRANSITIONS) == set(CallState)
    assert [state for state, targets in TRANSITIONS.items() if not targets] == [ENDED]
    assert all(ENDED in TRANSITIONS[state] for state in CallState if state is not ENDED), "a hang-up ends any call"


def test_a_call_starts_with_the_greeting():
    assert CallStates(Stopwatch().now).state is GREETING


def test_the_floor_is_the_callers_the_bots_or_an_agents():
    assert set(CallState) - {ENDED} == CALLER_HAS_FLOOR | BOT_HAS_FLOOR | AGENT_HAS_FLOOR
    assert not CALLER_HAS_FLOOR & BOT_HAS_FLOOR and not AGENT_HAS_FLOOR & (CALLER_HAS_FLOOR | BOT_HAS_FLOOR)


def test_an_agent_can_take_over_a_live_call_and_hands_it_back_to_the_bot_speaking_or_listening():
    assert {state for state in CallState if WITH_AGENT in TRANSITIONS[state]} == CALLER_HAS_FLOOR | BOT_HAS_FLOOR
    assert TRANSITIONS[WITH_AGENT] == {SPEAKING, LISTENING, ENDED}


@pytest.mark.parametrize("old, new", ALLOWED, ids=[f"{o.value}→{n.value}" for o, n in ALLOWED])
def test_a_listed_move_is_made_and_reported(old, new):
    clock, changes = Stopwatch(), []
    states = states_in(old, clock, changes)
    clock.t = 4.2
    assert states.go(new)
    assert (states.state, states.since) == (new, 4.2)
    assert changes == [(old, new)]


@pytest.mark.parametrize("old, new", REFUSED, ids=[f"{o.value}→{n.value}" for o, n in REFUSED])
def test_a_move_not_listed_raises_in_strict_mode(old, new):
    states = states_in(old)
    with pytest.raises(IllegalTransition, match=f"{old.value} → {new.value}"):
        states.go(new)
    assert states.state is old


def test_a_move_not_listed_is_logged_and_refused_outside_tests(monkeypatch, caplog):
    monkeypatch.setattr(CallStates, "strict", False)
    changes: list = []
    states = states_in(SPEAKING, changes=changes)
    with caplog.at_level(logging.ERROR, logger="voice.call_state"):
        assert not states.go(GREETING)
    assert states.state is SPEAKING and changes == []
    assert "speaking → greeting is not a transition" in caplog.text


@pytest.mark.parametrize("new", sorted(set(CallState) - {ENDED}, key=list(CallState).index), ids=lambda s: s.value)
def test_once_ended_a_call_stays_ended_whatever_another_task_still_does(new):
    changes: list = []
    states = states_in(ENDED, changes=changes)
    assert not states.go(new)  # e.g. a turn taken just as the caller hung up: not an error
    assert states.state is ENDED and changes == []


def test_moving_to_the_state_the_call_is_in_changes_nothing():
    clock, changes = Stopwatch(), []
    states = states_in(LISTENING, clock, changes)
    clock.t = 3.0
    assert states.go(LISTENING)
    assert states.since == 0.0 and changes == []
