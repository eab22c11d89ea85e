"""Offers the bot makes (a person, a call-back, going back to a suspended task) are answered by the very
next message or lapse, so a later 好的 or a stray character never takes one up.

A yes or no the NLU could not place (嗯那就接着办吧 read as a fallback) still answers the offer:
it is kept for the fallback actions, which take it up (actions/fallback.py)."""

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import ValidationAction

from actions.answers import yes_or_no
from actions.common import latest_intent, slots_before_latest_message
from actions.tasks import trigger_intent

ANSWERS_TO_AN_OFFER = ("affirm", "deny", "cancel")
UNPLACED = ("nlu_fallback", "out_of_scope")


class ValidateSlotMappings(ValidationAction):
    """Rasa runs this after every customer message (action_validate_slot_mappings)."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        events: list = []  # extracted slots Rasa keeps as they are unless an event here says otherwise
        intent, before = latest_intent(tracker), slots_before_latest_message(tracker)
        if before.get("callback_phone_asked") and intent != "inform":  # not a number: the question lapses
            events.append(SlotSet("callback_phone_asked", False))
        if intent in ANSWERS_TO_AN_OFFER:
            return events
        if intent in UNPLACED and yes_or_no(tracker.latest_message.get("text") or "") is not None:
            return events
        if before.get("handoff_offered"):
            events.append(SlotSet("handoff_offered", False))
        if before.get("callback_offered"):
            events.append(SlotSet("callback_offered", False))
        if before.get("resume_offered"):
            events.append(SlotSet("resume_offered", False))
            suspended = before.get("suspended_task") or {}
            if trigger_intent(suspended.get("form", "")) != intent:
                events.append(SlotSet("suspended_task", None))
        return events
