"""Two-stage fallback: first offer the two likeliest meanings (or say what the bot can't do),
and when the customer is not understood again right after, offer a human."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import yes_or_no
from nlu.intent_titles import INTENT_TITLES

NOT_SUGGESTED = {"nlu_fallback", "out_of_scope", "affirm", "deny", "inform", None}


def top_guesses(tracker: Tracker, count: int = 2) -> list[str]:
    ranking = tracker.latest_message.get("intent_ranking") or []
    names = [r.get("name") for r in ranking if r.get("name") not in NOT_SUGGESTED]
    return [n for n in names if n in INTENT_TITLES][:count]


def previous_bot_action(tracker: Tracker) -> str | None:
    """The last action before the latest user message (skipping action_listen)."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


MISSES = ("action_clarify", "action_cannot_handle")
# (offer slot, action for yes, action for no)
OFFERS = (
    ("handoff_offered", "action_handoff", "action_decline_handoff"),
    ("resume_offered", "action_resume_task", "action_drop_task"),
    ("callback_offered", "action_register_callback", "action_decline_callback"),
)


def answer_to_offer(tracker: Tracker) -> str | None:
    """The action a yes or no the NLU could not place answers, when the bot has just offered
    something (kept open for this by actions/pending.py)."""
    reading = yes_or_no(tracker.latest_message.get("text") or "")
    for slot, yes, no in OFFERS:
        if tracker.get_slot(slot) and reading is not None:
            return yes if reading else no
    return None


def offer_a_human(dispatcher: CollectingDispatcher, response: str = "utter_offer_human_not_understood"):
    dispatcher.utter_message(response=response)
    return [SlotSet("handoff_offered", True)]


class ActionCannotHandle(Action):
    """Out of scope: say what the assistant does; the second miss in a row offers a human."""

    def name(self) -> str:
        return "action_cannot_handle"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        answer = answer_to_offer(tracker)
        if answer:
            return [FollowupAction(answer)]
        if previous_bot_action(tracker) in MISSES:
            dispatcher.utter_message(response="utter_out_of_scope")
            return offer_a_human(dispatcher, "utter_offer_human")
        dispatcher.utter_message(response="utter_out_of_scope")
        return [SlotSet("handoff_offered", False)]


class ActionClarify(Action):
    def name(self) -> str:
        return "action_clarify"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        answer = answer_to_offer(tracker)
        if answer:
            return [FollowupAction(answer)]
        guesses = top_guesses(tracker)
        if previous_bot_action(tracker) in MISSES:
            return offer_a_human(dispatcher)
        if not guesses:
            dispatcher.utter_message(response="utter_ask_what_for")
            return [SlotSet("handoff_offered", False)]
        response = "utter_which_of_two" if len(guesses) == 2 else "utter_did_you_mean"
        choices = {}
        for n, guess in enumerate(guesses, start=1):
            choices |= {f"choice_{n}": INTENT_TITLES[guess], f"intent_{n}": guess}
        dispatcher.utter_message(response=response, **choices)
        return [SlotSet("handoff_offered", False)]


class ActionAnswerWithoutTask(Action):
    """A bare value (a phone number, 六期, 李娜) when no task is open: ask what it is for, and the
    second time in a row offer the tasks as buttons and a person instead of the same question."""

    def name(self) -> str:
        return "action_answer_without_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        if previous_bot_action(tracker) == self.name():
            dispatcher.utter_message(response="utter_choose_task")
        elif any(e.get("entity") in ("phone", "otp_code") for e in tracker.latest_message.get("entities") or []):
            dispatcher.utter_message(response="utter_verify_within_task")
        else:
            dispatcher.utter_message(response="utter_what_can_i_do")
        return []
