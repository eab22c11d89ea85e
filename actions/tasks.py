"""Tasks a customer starts, and one task interrupting another.

A new task asked for in the middle of another (给李娜转五百块 while repaying) suspends the
first: its answers so far are kept in ``suspended_task``, the new task runs to its end, and
then the bot offers to go back (刚才的还款还要继续吗？). Going back re-opens the first form
with what was already answered (see ``restored_slots``).
"""

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    REQUEST_SLOTS,
    active_form,
    clear_request_slots,
    latest_intent,
    slots_before_latest_message,
)

# trigger intent → (form, the task's name as the customer hears it)
TASKS = {
    "repay": ("repay_form", "还款"),
    "installment": ("installment_form", "分期"),
    "transfer_money": ("transfer_form", "转账"),
    "report_card_loss": ("card_loss_form", "挂失"),
    "report_fraud": ("fraud_form", "冻结卡片"),
    "apply_loan": ("loan_form", "借款申请"),
    "raise_credit_limit": ("raise_limit_form", "提额申请"),
}
# questions about the customer's own data: answered in the middle of a task, which then goes on
QUERIES = {
    "check_balance": ("balance_form", "action_show_balance"),
    "query_bill": ("bill_form", "action_show_bill"),
    "query_transactions": ("transactions_form", "action_show_transactions"),
    "query_credit_limit": ("credit_limit_form", "action_show_credit_limit"),
    "query_loan_status": ("loan_status_form", "action_show_loan_status"),
}
# entities only one task takes: 先给王强打一千二过去 in the middle of a repayment asks for a transfer,
# whatever intent the NLU gave it
TASK_ENTITIES = {"recipient": "transfer_money", "loan_purpose": "apply_loan"}
TASK_NAMES = {form: name for form, name in TASKS.values()}
KEPT_WHEN_SUSPENDED = tuple(s for s in REQUEST_SLOTS if s not in ("confirm", "aborted"))


def trigger_intent(form: str) -> str | None:
    return next((intent for intent, (name, _) in TASKS.items() if name == form), None)


def task_named_by_entities(tracker: Tracker) -> str | None:
    """Another task than the active form's, named by an entity only it takes (给王强打一千二)."""
    current = active_form(tracker)
    for entity in tracker.latest_message.get("entities") or []:
        task = TASK_ENTITIES.get(entity.get("entity"))
        if task and TASKS[task][0] != current and entity.get("role") != "negated":
            return task
    return None


def requested_task(tracker: Tracker) -> str | None:
    """The task the latest message asks for: by its intent, or by an entity only that task takes."""
    intent = latest_intent(tracker)
    return intent if intent in TASKS else task_named_by_entities(tracker)


def restored_slots(tracker: Tracker, form: str) -> dict[str, Any]:
    """What the customer had answered in ``form`` before it was suspended, unless said anew."""
    suspended = tracker.get_slot("suspended_task") or {}
    if suspended.get("form") != form:
        return {}
    said_now = set(tracker.slots_to_validate())
    kept = {k: v for k, v in (suspended.get("slots") or {}).items() if k not in said_now and v is not None}
    return {**kept, "suspended_task": None, "resume_offered": False}


def finish_task(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Events that end a task: its answers are forgotten, and a suspended task is offered back."""
    events = [*clear_request_slots(), SlotSet("unanswered_turns", 0)]
    suspended = tracker.get_slot("suspended_task") or {}
    name = TASK_NAMES.get(suspended.get("form", ""))
    if name and suspended.get("form") != active_form(tracker):
        dispatcher.utter_message(response="utter_offer_resume", task=name)
        events.append(SlotSet("resume_offered", True))
    return events


class ActionSwitchTask(Action):
    """A new task asked for inside a form: keep the form's answers, start the new task."""

    def name(self) -> str:
        return "action_switch_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        current, (new_form, new_name) = active_form(tracker), TASKS[requested_task(tracker) or ""]
        before = slots_before_latest_message(tracker)
        kept = {slot: before.get(slot) for slot in KEPT_WHEN_SUSPENDED if before.get(slot) is not None}
        events: list[dict[str, Any]] = [
            ActiveLoop(None),
            SlotSet("requested_slot", None),
            SlotSet("unanswered_turns", 0),
            *clear_request_slots(),
        ]
        if current in TASK_NAMES:
            dispatcher.utter_message(response="utter_task_switched", task=new_name, paused_task=TASK_NAMES[current])
            events.append(SlotSet("suspended_task", {"form": current, "slots": kept}))
        return [*events, FollowupAction(new_form)]


class ActionResumeTask(Action):
    def name(self) -> str:
        return "action_resume_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        suspended = tracker.get_slot("suspended_task") or {}
        form = suspended.get("form")
        if form not in TASK_NAMES:
            dispatcher.utter_message(response="utter_anything_else")
            return [SlotSet("resume_offered", False), SlotSet("suspended_task", None)]
        dispatcher.utter_message(response="utter_task_resumed", task=TASK_NAMES[form])
        return [SlotSet("resume_offered", False), FollowupAction(form)]


class ActionDropTask(Action):
    def name(self) -> str:
        return "action_drop_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        name = TASK_NAMES.get((tracker.get_slot("suspended_task") or {}).get("form", ""), "业务")
        dispatcher.utter_message(response="utter_task_dropped", task=name)
        return [SlotSet("resume_offered", False), SlotSet("suspended_task", None)]


class ActionEndTask(Action):
    """Leave a form without a word (the customer said goodbye); the next step says it."""

    def name(self) -> str:
        return "action_end_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        return [ActiveLoop(None), SlotSet("requested_slot", None), SlotSet("suspended_task", None)] + [
            *clear_request_slots()
        ]
