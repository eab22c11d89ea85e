"""Applying for a 金条 loan: amount, term and purpose, then an application with a status."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.answers import said
from actions.bank.errors import BankError
from actions.bank.money import parse_amount
from actions.bank.services import loans
from actions.common import tell_error
from actions.confirmation import ConfirmingFormValidator, SubmitAfterConfirmation
from actions.reply_values import Reply, line


def _reject(slot: str, dispatcher: CollectingDispatcher, response: str, **values: Any) -> dict[str, Any]:
    dispatcher.utter_message(response=response, **values)
    return {slot: None}


class ValidateLoanForm(ConfirmingFormValidator):
    def name(self) -> str:
        return "validate_loan_form"

    async def extract_term_months(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """分12期 in a loan request is its term: 12 months."""
        if tracker.get_slot("term_months") is not None:
            return {}
        periods = said(tracker, "installment_count")
        return {"term_months": periods} if periods is not None else {}

    def validate_amount(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        try:
            amount = parse_amount(value)
        except BankError as error:
            tell_error(dispatcher, error)
            return {"amount": None}
        if not loans.MIN_LOAN <= amount <= loans.MAX_LOAN:
            least, most = typed.money(loans.MIN_LOAN), typed.money(loans.MAX_LOAN)
            return _reject("amount", dispatcher, "utter_loan_amount_out_of_range", least=least, most=most)
        return {"amount": value}

    def validate_term_months(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if int(value) not in loans.LOAN_TERMS:
            allowed = "、".join(str(t) for t in loans.LOAN_TERMS)
            return _reject("term_months", dispatcher, "utter_loan_term_not_offered", terms=allowed)
        return {"term_months": value}

    def validate_loan_purpose(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value not in loans.LOAN_PURPOSES:
            purposes = "、".join(loans.LOAN_PURPOSES)
            return _reject("loan_purpose", dispatcher, "utter_loan_purpose_not_offered", purposes=purposes)
        return {"loan_purpose": value}


def loan_summary(session, customer: int, tracker: Tracker) -> Reply:
    return line(
        "utter_ask_confirm_loan",
        amount=typed.money(parse_amount(tracker.get_slot("amount"))),
        term_months=int(tracker.get_slot("term_months")),
        purpose=tracker.get_slot("loan_purpose"),
    )


class ActionSubmitLoan(SubmitAfterConfirmation):
    cancelled_response = "utter_loan_application_cancelled"

    def name(self) -> str:
        return "action_submit_loan"

    def execute(self, session, customer: int, tracker: Tracker) -> Reply:
        application = loans.apply_loan(
            session,
            customer,
            tracker.get_slot("amount"),
            int(tracker.get_slot("term_months")),
            tracker.get_slot("loan_purpose"),
            tracker.sender_id,
            idempotency_key=self.key(tracker),
        )
        return line("utter_loan_applied", number=typed.digits(application.number), status=application.status)
