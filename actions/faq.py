"""Answers a common question with the answer of the FAQ that the NLU selected.

The answers travel inside the model (the intent classifier keeps them, read from the staff FAQ
source), so a FAQ reload changes questions and answers together. Phone calls get the
shorter spoken answer when the FAQ has one.
"""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher


def selected_answers(tracker: Tracker) -> list[dict]:
    selector = tracker.latest_message.get("response_selector") or {}
    return ((selector.get("faq") or {}).get("response") or {}).get("responses") or []


def answer_for_channel(answers: list[dict], channel: str | None) -> str:
    """The variant made for this channel, else the one made for every channel."""
    for wanted in (channel, None):
        for answer in answers:
            if answer.get("channel") == wanted and answer.get("text"):
                return answer["text"]
    return ""


class ActionAnswerFaq(Action):
    def name(self) -> str:
        return "action_answer_faq"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        answer = answer_for_channel(selected_answers(tracker), tracker.get_latest_input_channel())
        if answer:  # the FAQ's own words, owned by staff in the FAQ source
            dispatcher.utter_message(text=answer)
        else:
            dispatcher.utter_message(response="utter_no_faq_answer")
        return []
