"""What a customer's message inside a form answers.

The form asked for one slot (``requested_slot``). The message may answer it barely (两千,
1234, 十二, 第二个, 全部), correct an earlier answer (不是1234，是5678), or be about something
else: a question, another task, cancelling, a person. ``AnsweringFormValidator`` fills what the
message answers and rejects the rest back to the rules (bot/rules.py), which answer the question
and return to the form, switch task, cancel or hand over.
"""

import re
from abc import ABC, abstractmethod
from decimal import Decimal, InvalidOperation
from typing import Any

from rasa_sdk import Tracker, utils
from rasa_sdk.events import ActionExecutionRejected, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import active_form, latest_intent, slots_before_latest_message
from actions.options import option_at
from actions.tasks import restored_slots, trigger_intent

NEGATED = "negated"
# the message says little besides its values (是1234吧 / 就两千 / 信用卡的)
LITTLE_ELSE = 3
PUNCTUATION = re.compile(r"[\s,，。.!！?？~、]")
ALWAYS_FOR_THE_FORM = ("inform", "affirm", "deny")
FULL_REPAYMENT = re.compile(r"全部|全额|都还|还清|全还|一次性")
NOT_NUMBERS = {"otp_code": 6, "card_tail": 4}
COUNTED_SLOTS = ("installment_count", "term_months")


def _entities(tracker: Tracker) -> list[dict[str, Any]]:
    return tracker.latest_message.get("entities") or []


def said(tracker: Tracker, entity: str) -> Any:
    """The first value of ``entity`` the customer did not take back."""
    return next((e["value"] for e in _entities(tracker) if e["entity"] == entity and e.get("role") != NEGATED), None)


def as_amount(number: str) -> str | None:
    try:
        return f"{Decimal(number):.2f}"
    except InvalidOperation:
        return None


def as_count(number: str) -> int | None:
    return int(number) if number.isdigit() and 0 < int(number) <= 360 else None


def bare_answer(slot: str, tracker: Tracker) -> Any:
    """The value a message that is only an answer gives the requested ``slot``, or None."""
    position = said(tracker, "ordinal")
    if position is not None:
        return option_at(slot, tracker, int(position))
    number = said(tracker, "number")
    if slot in COUNTED_SLOTS:
        other = said(tracker, "term_months" if slot == "installment_count" else "installment_count")
        return other if other is not None else (as_count(number) if number else None)
    if slot == "amount":
        if number:
            return as_amount(number)
        if active_form(tracker) == "repay_form" and FULL_REPAYMENT.search(tracker.latest_message.get("text") or ""):
            return "full"
        return None
    if slot in NOT_NUMBERS and number and len(number) == NOT_NUMBERS[slot]:
        return number
    return None


def says_little_else(tracker: Tracker) -> bool:
    text = list(tracker.latest_message.get("text") or "")
    for entity in _entities(tracker):
        text[entity["start"] : entity["end"]] = " " * (entity["end"] - entity["start"])
    return len(PUNCTUATION.sub("", "".join(text))) <= LITTLE_ELSE


def first_run_after_message(tracker: Tracker, form: str) -> bool:
    """No other action has run since the customer's latest message, so the form reads it now.
    (Rasa shows the validator the form's own run as already executed.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in ("action_listen", form, None):
            return False
    return True


def _same(slot_value: Any, entity_value: Any) -> bool:
    if slot_value is None:
        return False
    left, right = str(slot_value), str(entity_value)
    return left == right or as_amount(left) == as_amount(right) if left and right else False


def corrections(tracker: Tracker, slots: list[str]) -> dict[str, Any]:
    """不是1234，是5678 / 把两千改成三千: the slot holding the value taken back gets the new one."""
    changed: dict[str, Any] = {}
    kept = [e for e in _entities(tracker) if e.get("role") != NEGATED]
    for old in (e for e in _entities(tracker) if e.get("role") == NEGATED):
        slot = next((s for s in slots if _same(tracker.get_slot(s), old["value"])), None)
        new = next((e for e in kept if e["entity"] in (old["entity"], "number")), None)
        if slot and new:
            changed[slot] = as_amount(new["value"]) if slot == "amount" else new["value"]
    return changed


class AnsweringFormValidator(FormValidationAction, ABC):
    """Base of every form's validator: fills what the message answers, rejects what it doesn't."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        form = self.form_name()
        starting = active_form(tracker) != form or tracker.get_slot("requested_slot") is None
        if starting:  # (or coming back after a suspension): nothing has been asked yet
            restored = [SlotSet(k, v) for k, v in restored_slots(tracker, form).items()]
            tracker.add_slots(restored)
            return restored + await super().run(dispatcher, tracker, domain)
        if not first_run_after_message(tracker, form):  # back after answering a question in between
            return await super().run(dispatcher, tracker, domain)

        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        requested = tracker.get_slot("requested_slot")
        extracted = await self.get_extraction_events(dispatcher, tracker, domain)  # from the message only
        tracker.add_slots(extracted)
        answer: dict[str, Any] = corrections(tracker, required)
        if requested and requested not in tracker.slots_to_validate() and requested not in answer:
            value = bare_answer(requested, tracker)
            if value is not None:
                answer[requested] = value
        extracted += [SlotSet(k, v) for k, v in answer.items()]
        tracker.add_slots([SlotSet(k, v) for k, v in answer.items()])

        unanswered = int(tracker.get_slot("unanswered_turns") or 0)
        if not self.is_for_this_form(tracker, required, requested):
            return [ActionExecutionRejected(form), *self.undo(tracker), SlotSet("unanswered_turns", unanswered + 1)]
        events = extracted + await self._extract_validation_events(dispatcher, tracker, domain)
        before = slots_before_latest_message(tracker)
        progress = any(tracker.get_slot(s) != before.get(s) for s in required)
        return events + [SlotSet("unanswered_turns", 0 if progress else unanswered + 1)]

    def is_for_this_form(self, tracker: Tracker, required: list[str], requested: str | None) -> bool:
        intent = latest_intent(tracker)
        if intent in ALWAYS_FOR_THE_FORM or intent == trigger_intent(self.form_name()):
            return True
        before = slots_before_latest_message(tracker)
        given = {s for s in tracker.slots_to_validate() if s in required and tracker.get_slot(s) != before.get(s)}
        # 白条 answering 哪个账单 is an answer; 最低还款是怎么算的 or 给李娜转五百块 is not
        return bool(given) and says_little_else(tracker)

    async def get_validation_events(self, dispatcher, tracker: Tracker, domain) -> list[dict[str, Any]]:
        """Validated answers, then defaults for what is still open (the only usable card, the bill
        just discussed), validated the same way, so the form does not ask what it can know."""
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        for slot in required:
            default = getattr(self, f"default_{slot}", None)
            if default is None or tracker.get_slot(slot) is not None or tracker.get_slot("aborted"):
                continue
            found = await default(dispatcher, tracker, domain)
            validate = getattr(self, f"validate_{slot}", None)
            if slot in found and found[slot] is not None and validate is not None:
                found = {
                    **found,
                    **await utils.call_potential_coroutine(validate(found[slot], dispatcher, tracker, domain)),
                }
            filled = [SlotSet(k, v) for k, v in found.items()]
            tracker.add_slots(filled)
            events += filled
        return events

    @staticmethod
    def undo(tracker: Tracker) -> list[dict[str, Any]]:
        """Put back slots the rejected message set, so a question in between changes nothing."""
        before = slots_before_latest_message(tracker)
        return [SlotSet(slot, before.get(slot)) for slot in tracker.slots_to_validate()]
