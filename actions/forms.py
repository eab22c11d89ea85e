"""Leaving a form at the customer's request."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tasks import finish_task


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        # with a task waiting, finish_task asks about it next instead of 还有什么可以帮您
        waiting = tracker.get_slot("suspended_task")
        dispatcher.utter_message(response="utter_form_cancelled" if waiting else "utter_form_cancelled_anything_else")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + finish_task(dispatcher, tracker)
