"""Handing a conversation to a human agent with a ticket that summarises it."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.answers import yes_or_no
from actions.bank.errors import BankError
from actions.bank.money import mask_phone
from actions.bank.services import tickets
from actions.common import REQUEST_SLOTS, bank_session, clear_request_slots, customer_id, slots_before_latest_message

IGNORED_INTENTS = {"affirm", "deny", "inform", "nlu_fallback", None}


def intents_so_far(tracker: Tracker) -> list[str]:
    """The customer's intents in order, without repeats or yes/no answers."""
    seen: list[str] = []
    for event in tracker.events:
        if event.get("event") != "user":
            continue
        name = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if name not in IGNORED_INTENTS and name not in seen:
            seen.append(name)
    return seen


def conversation_summary(tracker: Tracker, reason: str) -> str:
    customer = customer_id(tracker)
    identity = f"已验证客户ID {customer}" if customer else "未验证身份"
    if tracker.get_slot("locked"):
        identity += "（验证码错误3次，已锁定）"
    phone = tracker.get_slot("phone")
    if phone:
        identity += f"，手机号{mask_phone(phone)}"
    filled = [
        f"{name}={tracker.get_slot(name)}" for name in REQUEST_SLOTS if tracker.get_slot(name) not in (None, [], False)
    ]
    return "；".join(
        [
            f"原因：{reason}",
            f"客户：{identity}",
            "意图：" + ("、".join(intents_so_far(tracker)) or "无"),
            "已填信息：" + ("，".join(filled) or "无"),
            f"最后一句：{tracker.latest_message.get('text') or ''}",
        ]
    )


def open_ticket(tracker: Tracker, reason: str, priority: str = "normal") -> tuple[str, bool]:
    """The conversation's hand-off ticket and whether it is new: one open ticket per conversation."""
    with bank_session() as session:
        waiting = tickets.open_ticket_number(session, tracker.sender_id)
        if waiting:
            return waiting, False
        summary = conversation_summary(tracker, reason)
        return tickets.create_ticket(session, tracker.sender_id, customer_id(tracker), summary, priority), True


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        intent = tracker.latest_message.get("intent", {}).get("name")
        offered = slots_before_latest_message(tracker).get("handoff_offered")
        if offered and yes_or_no(tracker.latest_message.get("text") or "") is False:
            return [FollowupAction("action_decline_handoff")]  # 不需要人工 to 需要为您转接人工客服吗？
        reason = "客户投诉" if intent == "complain" else "客户要求人工服务"
        try:
            number, new = open_ticket(tracker, reason)
        except BankError:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return [SlotSet("handoff_offered", False)]
        response = "utter_handed_off" if new else "utter_handoff_still_queued"
        dispatcher.utter_message(response=response, ticket=typed.digits(number))
        return [SlotSet("handoff_offered", False)] + clear_request_slots()


class ActionDeclineHandoff(Action):
    def name(self) -> str:
        return "action_decline_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(response="utter_handoff_declined")
        return [SlotSet("handoff_offered", False)]
