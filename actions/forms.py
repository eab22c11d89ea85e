"""Leaving a form at the customer's request."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop
from rasa_sdk.executor import CollectingDispatcher

from actions.common import clear_request_slots


class ActionCancelForm(Action):
    def name(self) -> str:
        return "action_cancel_form"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(text="好的，已为您取消，没有办理任何业务。还有什么可以帮您？")
        return [ActiveLoop(None)] + clear_request_slots()
