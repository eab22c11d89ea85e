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
from rasa_sdk.events import ActionExecutionRejected, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions import reply_values as typed
from actions.bank.money import parse_amount
from actions.bank.views import PRODUCT_NAMES
from actions.common import active_form, latest_intent, slots_before_latest_message
from actions.options import option_at
from actions.reply_values import Reply, line, lines
from actions.tasks import QUERIES, TASKS, restored_slots, task_named_by_entities, trigger_intent

NEGATED = "negated"
# the message says little besides its values (是1234吧 / 就两千 / 信用卡的 / 金额改成三千)
LITTLE_ELSE = 1
AROUND_VALUES = re.compile(
    r"[\s,，。.!！?？~、]|我说错了|说错了|不对|不是|应该是|还是|改成|换成|改为|换为|金额|收款人|期限|期数|用途|"
    r"那就|就是|等等|就|吧|啊|呀|呢|嗯|呃|的|了|是|选|好|那|先|给|转|还|借|打|帮我|我"
)
CORRECTION = re.compile(r"说错|搞错|弄错|错了|不对|不是|改成|换成|改为|换为|应该是")
# a short yes or no to a yes/no question, however worded: 对，马上冻结 / 嗯 扣 吧 / 这回对了，提交 /
# 我再想想，先不还了. A message with both, or a long one, is left to the intent and the corrections.
SHORT_REPLY = 12
YES_WORDS = re.compile(
    r"确认|确定|提交|可以|没问题|没错|同意|对|好|是的|行|嗯|办|冻结|冻吧|转吧|转过去|扣|还吧|借吧|继续|接着|ok|中|妥",
    re.IGNORECASE,
)
NO_WORDS = re.compile(
    r"(?:先|暂时|还是)?不(?:需要|确认|可以|要|用|办|转|还|借|冻|是|对|了|好|行)+了?|算了|取消|别|等等|再想想|^不"
)
# 好的，不用了 is a polite no: the 好的 only acknowledges
ACKNOWLEDGED = re.compile(r"^(?:好的?|嗯+|行|哦|噢|那|ok)+$", re.IGNORECASE)
SPACES = re.compile(r"[\s,，。.!！~、]")
# intents that are a question or a request of their own, never an answer to the form's question
OWN_REQUESTS = {
    "faq",
    "bot_challenge",
    "request_human",
    "complain",
    "cancel",
    "goodbye",
    "reset_password",
    "change_phone",
    "buy_fund",
    "redeem_fund",
    *TASKS,
    *QUERIES,
}
OWN_NON_TASK_REQUESTS = OWN_REQUESTS - set(TASKS)  # a FAQ about transfers names a payee too
# entities that answer a form's slots; any other entity is about something else (李娜 in a repayment)
ENTITY_SLOTS = {
    "amount": "amount",
    "repay_mode": "amount",
    "card_tail": "card_tail",
    "account_type": "product",
    "installment_count": "installment_count",
    "term_months": "term_months",
    "loan_purpose": "loan_purpose",
    "recipient": "recipient",
    "phone": "phone",
    "otp_code": "otp_code",
}
BARE = ("number", "ordinal")
# answers said back when given before they were asked for: slot → (as given, as changed)
SAID_BACK = {
    "amount": ("utter_noted_amount", "utter_changed_amount"),
    "recipient": ("utter_noted_recipient", "utter_changed_recipient"),
    "card_tail": ("utter_noted_card_tail", "utter_changed_card_tail"),
    "product": ("utter_noted_product", "utter_changed_product"),
    "installment_count": ("utter_noted_installment_count", "utter_changed_installment_count"),
    "term_months": ("utter_noted_term_months", "utter_changed_term_months"),
    "loan_purpose": ("utter_noted_loan_purpose", "utter_changed_loan_purpose"),
}
REPAY_MODES_SAID_BACK = {
    "full": ("utter_noted_amount_full", "utter_changed_amount_full"),
    "minimum": ("utter_noted_amount_minimum", "utter_changed_amount_minimum"),
}
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
    if slot == "confirm":
        return yes_or_no(tracker.latest_message.get("text") or "")
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


def says_little_else(tracker: Tracker, required: list[str], given: dict[str, Any]) -> bool:
    """The message is its answer: take away the values for this form and little is left."""
    text = list(tracker.latest_message.get("text") or "")
    for entity in _entities(tracker):
        if entity["entity"] in BARE or ENTITY_SLOTS.get(entity["entity"]) in required:
            text[entity["start"] : entity["end"]] = " " * (entity["end"] - entity["start"])
    rest = "".join(text)
    for value in given.values():
        rest = rest.replace(str(value), " ") if isinstance(value, str) and value else rest
    return len(AROUND_VALUES.sub("", rest)) <= LITTLE_ELSE


def said_back(slot: str, value: Any, changed: bool) -> Reply:
    """The answer to ``slot`` as the bot repeats it: 金额是¥500.00, 期限改为12个月."""
    if slot == "amount" and value in REPAY_MODES_SAID_BACK:
        return line(REPAY_MODES_SAID_BACK[value][changed])
    response = SAID_BACK[slot][changed]
    if slot == "amount":
        return line(response, amount=typed.money(parse_amount(value)))
    if slot == "card_tail":
        return line(response, card_tail=typed.digits(value))
    if slot in COUNTED_SLOTS:
        return line(response, count=int(value))
    if slot == "product":
        return line(response, product=PRODUCT_NAMES.get(value, value))
    return line(response, value=str(value))


def first_run_after_message(tracker: Tracker, form: str) -> bool:
    """No other action has run since the customer's latest message, so the form reads it now.
    (Rasa shows the validator the form's own run as already executed.)"""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return True
        if event.get("event") == "action" and event.get("name") not in ("action_listen", form, None):
            return False
    return True


def yes_or_no(text: str) -> bool | None:
    text = SPACES.sub("", text).replace("没问题", "好").replace("没错", "对")
    if not text or len(text) > SHORT_REPLY:
        return None
    no, rest = bool(NO_WORDS.search(text)), NO_WORDS.sub("", text)
    yes = bool(YES_WORDS.search(rest)) and not (no and ACKNOWLEDGED.match(rest))
    return None if no == yes else yes


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
        if not first_run_after_message(tracker, form):  # back after answering a question in between:
            return await self._extract_validation_events(dispatcher, tracker, domain)  # the message was not for it

        required = self.domain_slots(domain)  # all the form's slots: a no may still carry a correction
        requested = tracker.get_slot("requested_slot")
        extracted = await self.get_extraction_events(dispatcher, tracker, domain)  # from the message only
        tracker.add_slots(extracted)
        answer: dict[str, Any] = corrections(tracker, required)
        open_question = requested and requested not in tracker.slots_to_validate() and requested not in answer
        if open_question or requested == "confirm":  # 对，冻结吧 is a yes whatever intent it was read as
            value = bare_answer(requested, tracker)
            if value is not None:
                answer[requested] = value
        extracted += [SlotSet(k, v) for k, v in answer.items()]
        tracker.add_slots([SlotSet(k, v) for k, v in answer.items()])
        from_message = set(tracker.slots_to_validate())
        answered_barely = requested in answer

        unanswered = int(tracker.get_slot("unanswered_turns") or 0)
        if task_named_by_entities(tracker) and latest_intent(tracker) not in OWN_NON_TASK_REQUESTS:
            # 等等，先给王强转一千 in a repayment: the payee asks for a transfer, whatever the intent
            return [ActionExecutionRejected(form), *self.undo(tracker), FollowupAction("action_switch_task")]
        if not answered_barely and not self.is_for_this_form(tracker, required, requested):
            return [ActionExecutionRejected(form), *self.undo(tracker), SlotSet("unanswered_turns", unanswered + 1)]
        events = extracted + await self._extract_validation_events(dispatcher, tracker, domain)
        before = slots_before_latest_message(tracker)
        changed = [s for s in required if tracker.get_slot(s) != before.get(s)]
        said_back = [s for s in changed if s != requested and s in from_message]
        self.acknowledge(dispatcher, tracker, before, said_back, requested)
        return events + [SlotSet("unanswered_turns", 0 if changed else unanswered + 1)]

    @staticmethod
    def acknowledge(dispatcher, tracker: Tracker, before: dict, others: list[str], requested: str | None) -> None:
        """A value given before it was asked for, or changed, is said back (the confirmation says it anyway)."""
        if requested == "confirm":
            return
        said = []
        for slot in others:
            value = tracker.get_slot(slot)
            if slot in SAID_BACK and value is not None:
                said.append(said_back(slot, value, changed=before.get(slot) is not None))
        if said:
            dispatcher.utter_message(response="utter_noted", details=lines(said, joined_by="，"))

    def is_for_this_form(self, tracker: Tracker, required: list[str], requested: str | None) -> bool:
        intent = latest_intent(tracker)
        if intent in ALWAYS_FOR_THE_FORM or intent == trigger_intent(self.form_name()):
            return True
        if intent == "cancel" and requested == "confirm":
            return True  # 我再想想，先不还了: the no to the confirmation
        before = slots_before_latest_message(tracker)
        given = {
            s: tracker.get_slot(s)
            for s in tracker.slots_to_validate()
            if s in required and tracker.get_slot(s) != before.get(s)
        }
        if not given:
            return False
        text = tracker.latest_message.get("text") or ""
        if requested in given and intent not in OWN_REQUESTS:
            return True  # 医疗 家里人住院: an answer with more words, not a question
        # 白条 answering 哪个账单 is an answer; 最低还款是怎么算的 or 给李娜转五百块 is not
        return bool(CORRECTION.search(text)) or says_little_else(tracker, required, given)

    async def get_validation_events(self, dispatcher, tracker: Tracker, domain) -> list[dict[str, Any]]:
        """Validated answers, then defaults for what is still open (the only usable card, the bill
        just discussed), validated the same way, so the form does not ask what it can know."""
        said_now = set(tracker.slots_to_validate())
        events = await super().get_validation_events(dispatcher, tracker, domain)
        tracker.add_slots(events)
        required = await self.required_slots(self.domain_slots(domain), dispatcher, tracker, domain)
        if tracker.get_slot("verified") and not slots_before_latest_message(tracker).get("verified"):
            events += await self.revalidate(dispatcher, tracker, domain, required)
        for slot in required:
            default = getattr(self, f"default_{slot}", None)
            refused_now = slot in said_now  # 王强 was refused: ask, don't pick 张伟 silently
            if default is None or tracker.get_slot(slot) is not None or tracker.get_slot("aborted") or refused_now:
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

    async def revalidate(self, dispatcher, tracker: Tracker, domain, required: list[str]) -> list[dict[str, Any]]:
        """Values given before identity was verified are checked against the customer's data now."""
        events: list[dict[str, Any]] = []
        for slot in required:
            validate = getattr(self, f"validate_{slot}", None)
            value = tracker.get_slot(slot)
            if value is None or validate is None or slot in ("phone", "otp_code") or tracker.get_slot("aborted"):
                continue
            result = await utils.call_potential_coroutine(validate(value, dispatcher, tracker, domain))
            checked = [SlotSet(k, v) for k, v in result.items()]
            tracker.add_slots(checked)
            events += checked
        return events

    @staticmethod
    def undo(tracker: Tracker) -> list[dict[str, Any]]:
        """Put back slots the rejected message set, so a question in between changes nothing."""
        before = slots_before_latest_message(tracker)
        return [SlotSet(slot, before.get(slot)) for slot in tracker.slots_to_validate()]
