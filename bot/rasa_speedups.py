"""Fixes for slow paths of Rasa 3.6 that cost every conversation turn, with unchanged behaviour.

Rasa checks each action server reply with ``jsonschema.validate``, which first validates the
(constant) reply schema itself against the JSON-Schema meta-schema: about 50 ms of CPU per
custom action call on this machine, two or three calls per form turn. Here a validator built
once accepts valid replies (about 1 ms); an invalid reply still goes through Rasa's own check,
so it fails with Rasa's exact error.
"""

from functools import lru_cache

from jsonschema.validators import validator_for
from rasa.core.actions.action import RemoteAction

_rasa_validate_action_result = RemoteAction._validate_action_result


@lru_cache(maxsize=1)
def _reply_validator():
    schema = RemoteAction.action_response_format_spec()
    return validator_for(schema)(schema)


def _validate_action_result(self: RemoteAction, result: dict) -> bool:
    if _reply_validator().is_valid(result):
        return True
    return _rasa_validate_action_result(self, result)


def install() -> None:
    """Idempotent; affects this process only."""
    RemoteAction._validate_action_result = _validate_action_result
