"""Forms that change money or cards: they end with an explicit confirmation.

``confirm`` is filled from affirm/deny. A "no" that comes with a new value
("不对，是五千") is a correction: the value is updated and confirmation asked again.
A plain "no" ends the request without changing anything. A validator can end a
request early with ``abort`` after telling the customer why.
"""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import REQUEST_SLOTS
from actions.verification import VerifiedFormValidator


def abort(slot: str) -> dict[str, Any]:
    return {slot: None, "aborted": True}


class ConfirmingFormValidator(VerifiedFormValidator):
    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        if tracker.get_slot("aborted") or tracker.get_slot("confirm") is False:
            return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)

    def validate_confirm(self, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker, domain) -> dict[str, Any]:
        corrected = set(tracker.slots_to_validate()) & (set(REQUEST_SLOTS) - {"confirm"})
        if value is False and corrected:
            return {"confirm": None}
        return {"confirm": value}
