"""Repaying a credit card or 白条 bill from a savings card."""

from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import BankError
from actions.bank.money import format_yuan, parse_amount
from actions.bank.services import credit, lookup
from actions.bank.views import PRODUCT_NAMES
from actions.common import bank_session, customer_id
from actions.confirmation import ConfirmingFormValidator, SubmitAfterConfirmation, abort
from actions.products import CreditProductMixin
from actions.sources import SourceCardMixin

REPAY_MODES = ("full", "minimum")


def resolve_amount(bill, value: str) -> Decimal:
    """The amount a repay request means: "full", "minimum" or a number, checked against the bill."""
    if value == "full":
        return bill.remaining
    if value == "minimum":
        return bill.remaining_minimum
    amount = parse_amount(value)
    if amount > bill.remaining:
        raise BankError(
            f"本期{bill.product_name}账单待还{format_yuan(bill.remaining)}，还款金额不能超过这个数，请重新告诉我金额。"
        )
    return amount


class ValidateRepayForm(CreditProductMixin, SourceCardMixin, ConfirmingFormValidator):
    no_bill_text = "您名下目前没有待还的信用卡或白条账单，无需还款。"
    no_credit_text = "您名下没有开通信用卡或白条，没有需要还的账单。如需转账或查询余额，我可以帮您办理。"

    def name(self) -> str:
        return "validate_repay_form"

    def validate_product(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        customer = customer_id(tracker)
        if customer is None:
            return {"product": value}
        try:
            with bank_session() as session:
                bill = credit.current_bill(session, customer, value)
        except BankError as error:
            dispatcher.utter_message(text=error.message)
            return {"product": None}
        if bill.remaining <= 0:
            dispatcher.utter_message(text=f"您本期{bill.product_name}账单已经还清，无需还款。")
            return abort("product")
        result = {"product": value}
        if tracker.get_slot("amount"):
            try:
                resolve_amount(bill, tracker.get_slot("amount"))
            except BankError as error:
                dispatcher.utter_message(text=error.message)
                result["amount"] = None
        return result

    def validate_amount(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        customer, product = customer_id(tracker), tracker.get_slot("product")
        try:
            if customer is None or product is None:
                if value not in REPAY_MODES:
                    parse_amount(value)
                return {"amount": value}
            with bank_session() as session:
                amount = resolve_amount(credit.current_bill(session, customer, product), value)
                self.check_balance(session, customer, tracker.get_slot("card_tail"), amount)
        except BankError as error:
            dispatcher.utter_message(text=error.message)
            return {"amount": None}
        return {"amount": value}

    def amount_to_pay(self, session, customer: int, tracker: Tracker) -> Decimal | None:
        product, amount = tracker.get_slot("product"), tracker.get_slot("amount")
        if not (product and amount):
            return None
        return resolve_amount(credit.current_bill(session, customer, product), amount)


def repay_summary(session, customer: int, tracker: Tracker) -> str:
    product, value = tracker.get_slot("product"), tracker.get_slot("amount")
    bill = credit.current_bill(session, customer, product)
    amount = resolve_amount(bill, value)
    account = lookup.source_account(session, customer, tracker.get_slot("card_tail"))
    kind = {"full": "全额还款", "minimum": "最低还款"}.get(value, "还款")
    return (
        f"请确认：从储蓄卡尾号{account.card_number[-4:]}扣款{format_yuan(amount)}，"
        f"用于{PRODUCT_NAMES[product]}本期账单{kind}。确认办理吗？"
    )


class ActionSubmitRepay(SubmitAfterConfirmation):
    cancelled_text = "好的，本次还款已取消，没有扣款。"
    failed_suffix = "本次还款未成功，没有扣款。"

    def name(self) -> str:
        return "action_submit_repay"

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        return [SlotSet("context_product", tracker.get_slot("product"))]

    def execute(self, session, customer: int, tracker: Tracker) -> str:
        value = tracker.get_slot("amount")
        mode = value if value in REPAY_MODES else None
        receipt = credit.repay(
            session,
            customer,
            tracker.get_slot("product"),
            amount=None if mode else value,
            mode=mode,
            source_card_tail=tracker.get_slot("card_tail"),
            sender_id=tracker.sender_id,
        )
        left = (
            "本期账单已全部还清。" if receipt.remaining <= 0 else f"本期账单还剩{format_yuan(receipt.remaining)}待还。"
        )
        return (
            f"还款成功！已从储蓄卡尾号{receipt.source_card_tail}扣款{format_yuan(receipt.amount)}，"
            f"卡内余额{format_yuan(receipt.source_balance_after)}。{left}"
        )
