"""Splitting the current credit card or 白条 bill into installments."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.account_forms import AccountFormValidator
from actions.bank.money import format_yuan
from actions.bank.services import credit
from actions.bank.views import PRODUCT_NAMES
from actions.confirmation import SubmitAfterConfirmation, abort
from actions.products import CreditProductMixin


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


def installment_summary(session, customer: int, tracker: Tracker) -> str:
    product = tracker.get_slot("product")
    quote = credit.quote_installment(session, customer, product, int(tracker.get_slot("installment_count")))
    return (
        f"{PRODUCT_NAMES[product]}本期待还{format_yuan(quote.principal)}，分{quote.count}期，"
        f"每期应还{format_yuan(quote.per_period_amount)}（含手续费{format_yuan(quote.per_period_fee)}），"
        f"总手续费{format_yuan(quote.total_fee)}，合计{format_yuan(quote.total_amount)}。"
        "确认办理分期吗？"
    )


class ActionSubmitInstallment(SubmitAfterConfirmation):
    cancelled_text = "好的，本次分期已取消，账单保持不变。"
    failed_suffix = "本次分期未办理成功。"

    def name(self) -> str:
        return "action_submit_installment"

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        return [SlotSet("context_product", tracker.get_slot("product"))]

    def execute(self, session, customer: int, tracker: Tracker) -> str:
        plan = credit.create_installment(
            session,
            customer,
            tracker.get_slot("product"),
            int(tracker.get_slot("installment_count")),
            tracker.sender_id,
        )
        due = plan.first_due_date
        return (
            f"分期办理成功！共{plan.quote.count}期，每期应还{format_yuan(plan.quote.per_period_amount)}，"
            f"首期还款日{due.month}月{due.day}日。"
        )
