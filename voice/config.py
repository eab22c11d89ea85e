"""Settings of a call, with environment overrides for deployments."""

import os
from dataclasses import dataclass, field, replace

from voice.endpointing import EndpointConfig


@dataclass(frozen=True)
class CallSettings:
    sample_rate: int = 8000
    no_input_s: float = 6.0  # silence after the bot stops talking before a reprompt
    max_reprompts: int = 2  # then a human is offered
    hold_reminder_s: float = 20.0  # a caller waiting for an agent hears that they are still in line
    max_call_s: float = 900.0
    dtmf_timeout_s: float = 2.5  # keypad digits end with # or after this pause
    endpoint: EndpointConfig = field(default_factory=EndpointConfig)

    def with_rate(self, sample_rate: int) -> "CallSettings":
        return replace(self, sample_rate=sample_rate)


def settings_from_env(env=os.environ) -> CallSettings:
    """``CALL_NO_INPUT_S``, ``CALL_MAX_S``, ``CALL_END_SILENCE_MS`` and
    ``CALL_EARLY_END_SILENCE_MS`` (0: off) override the defaults."""
    base = CallSettings()
    endpoint = base.endpoint
    if env.get("CALL_END_SILENCE_MS"):
        endpoint = replace(endpoint, end_silence_ms=_positive(env, "CALL_END_SILENCE_MS", int))
    if env.get("CALL_EARLY_END_SILENCE_MS"):
        early = _number(env, "CALL_EARLY_END_SILENCE_MS", int)
        if early < 0:
            raise ValueError(f"CALL_EARLY_END_SILENCE_MS must be 0 (off) or more, got {early!r}")
        endpoint = replace(endpoint, early_end_silence_ms=early)
    return replace(
        base,
        no_input_s=_positive(env, "CALL_NO_INPUT_S", float) if env.get("CALL_NO_INPUT_S") else base.no_input_s,
        max_call_s=_positive(env, "CALL_MAX_S", float) if env.get("CALL_MAX_S") else base.max_call_s,
        endpoint=endpoint,
    )


def _number(env, name: str, kind):
    try:
        return kind(env[name])
    except ValueError:
        raise ValueError(f"{name}={env[name]!r} is not a number") from None


def _positive(env, name: str, kind):
    value = _number(env, name, kind)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {env[name]!r}")
    return value
