"""Leaving a form at the customer's request."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.tasks import finish_task


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        more = "" if tracker.get_slot("suspended_task") else "还有什么可以帮您？"
        dispatcher.utter_message(text=f"好的，已为您取消，没有办理任何业务。{more}")
        return [ActiveLoop(None), SlotSet("requested_slot", None)] + finish_task(dispatcher, tracker)
