"""Call settings from the environment (voice/config.py)."""

import pytest

from voice.config import CallSettings, settings_from_env


def test_defaults_without_overrides():
    assert settings_from_env({}) == CallSettings()


def test_end_of_turn_silences_are_overridden():
    endpoint = settings_from_env({"CALL_END_SILENCE_MS": "900", "CALL_EARLY_END_SILENCE_MS": "0"}).endpoint
    assert (endpoint.end_silence_ms, endpoint.early_end_silence_ms) == (900, 0)


@pytest.mark.parametrize(
    "env, message",
    [
        ({"CALL_EARLY_END_SILENCE_MS": "-1"}, "CALL_EARLY_END_SILENCE_MS must be 0"),
        ({"CALL_EARLY_END_SILENCE_MS": "soon"}, "CALL_EARLY_END_SILENCE_MS='soon' is not a number"),
        ({"CALL_END_SILENCE_MS": "0"}, "CALL_END_SILENCE_MS must be positive"),
        ({"CALL_MAX_S": "long"}, "CALL_MAX_S='long' is not a number"),
    ],
)
def test_bad_values_are_named(env, message):
    with pytest.raises(ValueError, match=message):
        settings_from_env(env)
