"""Splitting the current credit card or 白条 bill into installments."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.account_forms import AccountFormValidator
from actions.bank.services import credit
from actions.bank.views import PRODUCT_NAMES
from actions.confirmation import SubmitAfterConfirmation, abort
from actions.products import CreditProductMixin
from actions.reply_values import Reply, line


class ValidateInstallmentForm(CreditProductMixin, AccountFormValidator):
    no_bill_response = "utter_no_bill_to_install"
    no_credit_response = "utter_no_credit_product_to_install"

    def name(self) -> str:
        return "validate_installment_form"

    def validate_product(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        def bill_can_be_split(session, customer: int) -> None:
            # any allowed count tells whether this bill can be split at all
            credit.quote_installment(session, customer, value, 3)

        return self.check_answer(
            "product", value, dispatcher, tracker, bill_can_be_split, when_refused=abort("product")
        )

    def validate_installment_count(
        self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain
    ) -> dict[str, Any]:
        product = tracker.get_slot("product")

        def count_is_offered(session, customer: int) -> None:
            if product is not None:
                credit.quote_installment(session, customer, product, int(value))

        return self.check_answer("installment_count", value, dispatcher, tracker, count_is_offered)


def installment_summary(session, customer: int, tracker: Tracker) -> Reply:
    product = tracker.get_slot("product")
    quote = credit.quote_installment(session, customer, product, int(tracker.get_slot("installment_count")))
    return line(
        "utter_ask_confirm_installment",
        product=PRODUCT_NAMES[product],
        principal=typed.money(quote.principal),
        count=quote.count,
        per_period=typed.money(quote.per_period_amount),
        per_period_fee=typed.money(quote.per_period_fee),
        total_fee=typed.money(quote.total_fee),
        total=typed.money(quote.total_amount),
    )


class ActionSubmitInstallment(SubmitAfterConfirmation):
    cancelled_response = "utter_installment_cancelled"
    failed_response = "utter_installment_failed"

    def name(self) -> str:
        return "action_submit_installment"

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        return [SlotSet("context_product", tracker.get_slot("product"))]

    def execute(self, session, customer: int, tracker: Tracker) -> Reply:
        plan = credit.create_installment(
            session,
            customer,
            tracker.get_slot("product"),
            int(tracker.get_slot("installment_count")),
            tracker.sender_id,
            idempotency_key=self.key(tracker),
        )
        return line(
            "utter_installment_done",
            count=plan.quote.count,
            per_period=typed.money(plan.quote.per_period_amount),
            first_due=typed.day(plan.first_due_date),
        )
