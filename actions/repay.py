"""Repaying a credit card or 白条 bill from a savings card."""

from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.bank.errors import BankError
from actions.bank.money import parse_amount
from actions.bank.repayment import REPAY_MODES, amount_or_mode
from actions.bank.services import credit, lookup
from actions.bank.views import PRODUCT_NAMES
from actions.confirmation import SubmitAfterConfirmation, abort
from actions.products import CreditProductMixin
from actions.reply_values import Reply, line
from actions.sources import SourceCardMixin


def _amount_to_repay(bill, value: str) -> Decimal:
    return credit.repay_amount(bill, **amount_or_mode(value))


def _well_formed(value: str) -> None:
    if value not in REPAY_MODES:
        parse_amount(value)


class ValidateRepayForm(CreditProductMixin, SourceCardMixin):
    no_bill_response = "utter_no_bill_to_repay"
    no_credit_response = "utter_no_credit_product_to_repay"

    def name(self) -> str:
        return "validate_repay_form"

    def validate_product(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        amount = tracker.get_slot("amount")

        def bill_to_repay(session, customer: int) -> dict[str, Any] | None:
            bill = credit.current_bill(session, customer, value)
            if bill.remaining <= 0:
                dispatcher.utter_message(response="utter_bill_already_repaid", product=bill.product_name)
                return abort("product")
            if amount:
                try:
                    _amount_to_repay(bill, amount)
                except BankError as error:
                    self.tell_refusal(dispatcher, error)
                    return {"product": value, "amount": None}
            return None

        return self.check_answer("product", value, dispatcher, tracker, bill_to_repay)

    def validate_amount(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        product = tracker.get_slot("product")

        def bill_and_card_allow(session, customer: int) -> None:
            if product is not None:
                amount = _amount_to_repay(credit.current_bill(session, customer, product), value)
                self.check_balance(session, customer, tracker.get_slot("card_tail"), amount)

        return self.check_answer(
            "amount", value, dispatcher, tracker, bill_and_card_allow, on_its_own=lambda: _well_formed(value)
        )

    def amount_to_pay(self, session, customer: int, tracker: Tracker) -> Decimal | None:
        product, amount = tracker.get_slot("product"), tracker.get_slot("amount")
        if not (product and amount):
            return None
        return _amount_to_repay(credit.current_bill(session, customer, product), amount)


def repay_summary(session, customer: int, tracker: Tracker) -> Reply:
    product, value = tracker.get_slot("product"), tracker.get_slot("amount")
    bill = credit.current_bill(session, customer, product)
    account = lookup.source_account(session, customer, tracker.get_slot("card_tail"))
    return line(
        {"full": "utter_ask_confirm_full_repayment", "minimum": "utter_ask_confirm_minimum_repayment"}.get(
            value, "utter_ask_confirm_repayment"
        ),
        card_tail=typed.digits(account.card_number[-4:]),
        amount=typed.money(_amount_to_repay(bill, value)),
        product=PRODUCT_NAMES[product],
    )


class ActionSubmitRepay(SubmitAfterConfirmation):
    cancelled_response = "utter_repayment_cancelled"
    failed_response = "utter_repayment_failed"

    def name(self) -> str:
        return "action_submit_repay"

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        return [SlotSet("context_product", tracker.get_slot("product"))]

    def execute(self, session, customer: int, tracker: Tracker) -> Reply:
        receipt = credit.repay(
            session,
            customer,
            tracker.get_slot("product"),
            **amount_or_mode(tracker.get_slot("amount")),
            source_card_tail=tracker.get_slot("card_tail"),
            sender_id=tracker.sender_id,
            idempotency_key=self.key(tracker),
        )
        return line(
            "utter_repaid_in_full" if receipt.remaining <= 0 else "utter_repaid",
            card_tail=typed.digits(receipt.source_card_tail),
            amount=typed.money(receipt.amount),
            balance=typed.money(receipt.source_balance_after),
            left_to_repay=typed.money(receipt.remaining),
        )
