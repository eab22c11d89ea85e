"""Handing a conversation to a human agent with a ticket that summarises it.

The web page and phone gateway (voice/) run the agent desk and say, in each customer message's
metadata, whether a person can take the conversation now (``desk``: live, agents free, within
service hours). If one can, the conversation is queued for the desk (a custom ``handoff``
message carries the ticket and its summary); if not, the customer is told so, with the service
hours, and offered a call-back.
"""

import logging
import os

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.answers import yes_or_no
from actions.bank.errors import BankError
from actions.bank.money import mask_phone, normalize_phone, scrub_digits
from actions.bank.services import tickets
from actions.bank.views import PRODUCT_NAMES
from actions.common import REQUEST_SLOTS, bank_session, clear_request_slots, customer_id, slots_before_latest_message
from actions.fallback import INTENT_TITLES

IGNORED_INTENTS = {"affirm", "deny", "inform", "nlu_fallback", None}
URGENT_INTENTS = {"report_fraud"}
DEFAULT_HOURS = "09:00-21:00"
SHOWN_INTENTS = {**INTENT_TITLES, "request_human": "转人工", "complain": "投诉"}
logger = logging.getLogger(__name__)


def desk_of(tracker: Tracker) -> dict:
    """What the gateway said about the agent desk with the latest customer message ({} if nothing)."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            desk = (event.get("metadata") or {}).get("desk")
            return desk if isinstance(desk, dict) else {}
    return {}


def spoken_hours(desk: dict) -> str:
    """``09:00-21:00`` → ``9:00至21:00``."""
    hours = str(desk.get("hours") or os.environ.get("DESK_HOURS") or DEFAULT_HOURS)
    start, _, end = hours.partition("-")
    return f"{_clock(start)}至{_clock(end)}" if end else hours


def _clock(text: str) -> str:
    hour, _, minute = text.strip().partition(":")
    return f"{int(hour)}:{minute}" if hour.isdigit() else text.strip()


def priority_of(tracker: Tracker) -> str:
    """Fraud reports and customers locked out of verification are served first."""
    urgent = tracker.get_slot("locked") or URGENT_INTENTS & set(intents_so_far(tracker))
    return "urgent" if urgent else "normal"


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


def shown_intents(tracker: Tracker) -> list[str]:
    return [SHOWN_INTENTS.get(name, name) for name in intents_so_far(tracker)]


def who_is_asking(tracker: Tracker, verified: str, phone_label: str) -> str:
    """Verified (as ``verified`` says it) or not, locked out or not, and the phone masked."""
    who = verified if customer_id(tracker) else "未验证身份"
    if tracker.get_slot("locked"):
        who += "（验证码错误3次，已锁定）"
    phone = tracker.get_slot("phone")
    if phone:
        who += f"{phone_label}{mask_phone(phone)}"
    return who


def conversation_summary(tracker: Tracker, reason: str) -> str:
    identity = who_is_asking(tracker, f"已验证客户ID {customer_id(tracker)}", "，手机号")
    filled = filled_details(tracker)
    return "；".join(
        [
            f"原因：{reason}",
            f"客户：{identity}",
            "意图：" + ("、".join(shown_intents(tracker)) or "无"),
            "已填信息：" + ("，".join(filled) or "无"),
            f"最后一句：{tracker.latest_message.get('text') or ''}",
        ]
    )


FILLED_NAMES = {
    "amount": "金额", "product": "产品", "card_tail": "卡尾号", "recipient": "收款人",
    "installment_count": "分期期数", "term_months": "借款期限（月）", "loan_purpose": "借款用途",
    "date": "日期", "date_range": "时间范围", "account_type": "账户", "confirm": "已确认", "aborted": "已中止",
}  # fmt: skip
FILLED_VALUES = {**PRODUCT_NAMES, "minimum": "最低还款额", "full": "全部应还", True: "是", False: "否"}


def filled_details(tracker: Tracker) -> list[str]:
    """The details the customer has given for the request under way, in words staff read."""
    details = []
    for name in REQUEST_SLOTS:
        value = tracker.get_slot(name)
        if value in (None, [], False):
            continue
        shown = FILLED_VALUES.get(value, value) if isinstance(value, (str, bool)) else value
        details.append(f"{FILLED_NAMES.get(name, name)} {scrub_digits(str(shown))}")
    return details


def desk_card(tracker: Tracker, ticket: str, reason: str, priority: str) -> dict:
    """The hand-off as the agent desk shows it in its queue (masked like the ticket)."""
    return {
        "ticket": ticket,
        "priority": priority,
        "summary": {
            "reason": reason,
            "customer": who_is_asking(tracker, "已验证客户", " · 手机"),
            "intents": shown_intents(tracker),
            "filled": filled_details(tracker),
            "last": scrub_digits(tracker.latest_message.get("text") or ""),
        },
    }


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
        desk = desk_of(tracker)
        if not (desk.get("live") and desk.get("open") and desk.get("agents")):
            return offer_callback(dispatcher, desk)
        priority = priority_of(tracker)
        try:
            number, new = open_ticket(tracker, reason, priority)
        except BankError:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return [SlotSet("handoff_offered", False)]
        response = "utter_handed_off" if new else "utter_handoff_still_queued"
        dispatcher.utter_message(response=response, ticket=typed.digits(number))
        dispatcher.utter_message(json_message={"handoff": desk_card(tracker, number, reason, priority)})
        return [SlotSet("handoff_offered", False)] + clear_request_slots()


def offer_callback(dispatcher: CollectingDispatcher, desk: dict) -> list:
    """Nobody can take the conversation now: say why, plainly, and offer a call-back."""
    if not desk.get("live"):
        response = "utter_handoff_offer_callback"
    elif not desk.get("open"):
        response = "utter_handoff_closed_offer_callback"
    else:
        response = "utter_handoff_no_agent_offer_callback"
    dispatcher.utter_message(response=response, hours=spoken_hours(desk))
    return [SlotSet("handoff_offered", False), SlotSet("callback_offered", True)]


class ActionRegisterCallback(Action):
    """Yes to the call-back offer: a ticket with the number to call, or first the number."""

    def name(self) -> str:
        return "action_register_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        try:
            phone = normalize_phone(tracker.get_slot("phone"))
        except BankError:
            asked = tracker.get_slot("callback_phone_asked")
            dispatcher.utter_message(response="utter_ask_callback_phone_again" if asked else "utter_ask_callback_phone")
            return [SlotSet("callback_offered", False), SlotSet("callback_phone_asked", True)]
        reason = "回电请求（人工客服当时无法接入）"
        try:
            with bank_session() as session:
                number = tickets.request_callback(
                    session, tracker.sender_id, customer_id(tracker), phone,
                    conversation_summary(tracker, reason), priority_of(tracker),
                )  # fmt: skip
        except BankError:
            dispatcher.utter_message(response="utter_handoff_unavailable")
            return [SlotSet("callback_offered", False), SlotSet("callback_phone_asked", False)]
        dispatcher.utter_message(
            response="utter_callback_registered",
            ticket=typed.digits(number),
            phone_tail=typed.digits(phone[-4:]),
            hours=spoken_hours(desk_of(tracker)),
        )
        return [SlotSet("callback_offered", False), SlotSet("callback_phone_asked", False)]


class ActionDeclineCallback(Action):
    def name(self) -> str:
        return "action_decline_callback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(response="utter_callback_declined")
        return [SlotSet("callback_offered", False), SlotSet("callback_phone_asked", False)]


class ActionAgentJoined(Action):
    """An agent took the conversation (run by the agent desk, voice/desk/; the bot is paused after)."""

    def name(self) -> str:
        return "action_agent_joined"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(
            response="utter_agent_joined", agent_name=str(tracker.get_slot("agent_name") or "客服")
        )
        return []


class ActionAgentGaveBack(Action):
    """The agent handed the conversation back to the bot (run by the agent desk, voice/desk/)."""

    def name(self) -> str:
        return "action_agent_gave_back"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        resolve(tracker, "given_back")
        dispatcher.utter_message(response="utter_agent_gave_back")
        return [SlotSet("handoff_note", None)]


class ActionAgentClosed(Action):
    """The agent ended the conversation with a resolution note (run by the agent desk)."""

    def name(self) -> str:
        return "action_agent_closed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        resolve(tracker, "closed")
        dispatcher.utter_message(response="utter_agent_closed")
        return [SlotSet("handoff_note", None)]


def resolve(tracker: Tracker, how: str) -> None:
    """Closes the conversation's ticket with the agent's note; the customer is told either way."""
    agent = str(tracker.get_slot("agent_name") or "客服")
    try:
        with bank_session() as session:
            tickets.resolve_ticket(session, tracker.sender_id, agent, how, str(tracker.get_slot("handoff_note") or ""))
    except BankError:
        logger.exception("could not close the hand-off ticket of %s", tracker.sender_id)


class ActionDeclineHandoff(Action):
    def name(self) -> str:
        return "action_decline_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(response="utter_handoff_declined")
        return [SlotSet("handoff_offered", False)]
