"""Forms that change money or cards: they end with an explicit confirmation.

``confirm`` is filled from affirm/deny. A "no" that comes with a new value
("不对，是五千") is a correction: the value is updated and confirmation asked again.
A plain "no" ends the request without changing anything. A validator can end a
request early with ``abort`` after telling the customer why.

The change is made at most once per request: ``movement_key`` names the request by the moment
the bot asked for its confirmation, and the bank returns the first receipt for a key it has seen
(actions.bank.services.movements), so a double tap of 确认 or a replay of the turn after a
failover tells the customer the same receipt and moves no money twice.
"""

import hashlib
import json
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import BankError
from actions.bank.services.movements import at_most_once
from actions.common import REQUEST_SLOTS, bank_url, latest_user_index, slots_before_latest_message, tell_error
from actions.reply_values import Reply
from actions.tasks import finish_task
from actions.verification import VerifiedFormValidator, require_customer


def abort(slot: str) -> dict[str, Any]:
    return {slot: None, "aborted": True}


def corrected_now(tracker: Tracker) -> bool:
    """The latest message changed a detail of the request (不对，是两千 / 不是1234，是5678)."""
    before = slots_before_latest_message(tracker)
    details = set(REQUEST_SLOTS) - {"confirm", "aborted"}
    return any(s in details and tracker.get_slot(s) != before.get(s) for s in tracker.slots_to_validate())


def movement_key(tracker: Tracker, action: str) -> str | None:
    """The idempotency key of the request being confirmed, the same however often its 确认 is handled.

    Made of the conversation, the action, the request's details and the timestamp of the event
    in which the bot asked for confirmation (``requested_slot`` set to ``confirm``); failing that,
    of the last event before the customer's latest message. Both were stored before the 确认 came,
    so a replayed turn finds them unchanged. None for a tracker with no events (nothing to anchor to).
    """
    events = tracker.events or []
    asked = [
        e
        for e in events
        if e.get("event") == "slot" and e.get("name") == "requested_slot" and e.get("value") == "confirm"
    ]
    last_user = latest_user_index(events)
    anchor = asked[-1] if asked else (events[last_user - 1] if last_user > 0 else None)
    if anchor is None:
        return None
    details = {slot: tracker.get_slot(slot) for slot in REQUEST_SLOTS if slot not in ("confirm", "aborted")}
    named = json.dumps([tracker.sender_id, action, anchor.get("timestamp"), details], sort_keys=True, default=str)
    return f"{action}:{hashlib.sha256(named.encode()).hexdigest()[:40]}"


class ConfirmingFormValidator(VerifiedFormValidator):
    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        if tracker.get_slot("aborted") or (tracker.get_slot("confirm") is False and not corrected_now(tracker)):
            return []
        return await super().required_slots(domain_slots, dispatcher, tracker, domain)

    def validate_confirm(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain
    ) -> dict[str, Any]:
        if value is False and corrected_now(tracker):
            return {"confirm": None}  # a no that brings a new value asks again with it
        return {"confirm": value}


class SubmitAfterConfirmation(Action, ABC):
    """The action after a confirming form: do the change only on an explicit yes."""

    cancelled_response = "utter_request_cancelled"
    failed_response: str | None = None  # said after the bank's reason when the change failed

    @abstractmethod
    def execute(self, session, customer: int, tracker: Tracker) -> Reply:
        """Make the change in ``session`` (one transaction), passing the bank ``self.key(tracker)``, and
        return the success reply. It may run twice (a concurrent duplicate won): the bank then returns
        the first receipt."""

    def key(self, tracker: Tracker) -> str | None:
        return movement_key(tracker, self.name())

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        if tracker.get_slot("aborted"):
            return finish_task(dispatcher, tracker)
        customer = require_customer(dispatcher, tracker)
        if customer is None:
            return finish_task(dispatcher, tracker)
        if not tracker.get_slot("confirm"):
            dispatcher.utter_message(response=self.cancelled_response)
            return finish_task(dispatcher, tracker)
        try:
            reply = at_most_once(lambda session: self.execute(session, customer, tracker), bank_url())
        except BankError as error:
            tell_error(dispatcher, error)
            if self.failed_response:
                dispatcher.utter_message(response=self.failed_response)
        else:
            dispatcher.utter_message(**reply)
        return self.context(tracker) + finish_task(dispatcher, tracker)

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        """Slots that carry this request's subject to the next one."""
        return []
