import pytest

from voice.call_state import CallStates


@pytest.fixture(autouse=True)
def call_states_refuse_loudly(monkeypatch):
    """A move of a call's state that voice/call_state.py does not list fails the test."""
    monkeypatch.setattr(CallStates, "strict", True)
