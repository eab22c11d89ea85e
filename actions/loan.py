"""Applying for a 金条 loan: amount, term and purpose, then an application with a status."""

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import said
from actions.bank.errors import BankError
from actions.bank.money import format_yuan, parse_amount
from actions.bank.services import loans
from actions.confirmation import ConfirmingFormValidator, SubmitAfterConfirmation


def _reject(slot: str, message: str, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    dispatcher.utter_message(text=message)
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
            return _reject("amount", error.message, dispatcher)
        if not loans.MIN_LOAN <= amount <= loans.MAX_LOAN:
            return _reject(
                "amount",
                f"单笔借款金额需要在{format_yuan(loans.MIN_LOAN)}到"
                f"{format_yuan(loans.MAX_LOAN)}之间，请重新告诉我金额。",
                dispatcher,
            )
        return {"amount": value}

    def validate_term_months(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if int(value) not in loans.LOAN_TERMS:
            allowed = "、".join(str(t) for t in loans.LOAN_TERMS)
            return _reject("term_months", f"借款期限可以选择{allowed}个月，请从中选一个。", dispatcher)
        return {"term_months": value}

    def validate_loan_purpose(self, value, dispatcher, tracker, domain) -> dict[str, Any]:
        if value not in loans.LOAN_PURPOSES:
            return _reject(
                "loan_purpose", f"借款用途可以是{'、'.join(loans.LOAN_PURPOSES)}，请问是哪一种？", dispatcher
            )
        return {"loan_purpose": value}


def loan_summary(session, customer: int, tracker: Tracker) -> str:
    return (
        f"请确认借款申请：金额{format_yuan(parse_amount(tracker.get_slot('amount')))}，"
        f"期限{int(tracker.get_slot('term_months'))}个月，用途{tracker.get_slot('loan_purpose')}。"
        "确认提交吗？"
    )


class ActionSubmitLoan(SubmitAfterConfirmation):
    cancelled_text = "好的，借款申请已取消，没有提交。"

    def name(self) -> str:
        return "action_submit_loan"

    def execute(self, session, customer: int, tracker: Tracker) -> str:
        application = loans.apply_loan(
            session,
            customer,
            tracker.get_slot("amount"),
            int(tracker.get_slot("term_months")),
            tracker.get_slot("loan_purpose"),
            tracker.sender_id,
        )
        return (
            f"借款申请已提交，申请编号{application.number}，当前状态：{application.status}。"
            "审核结果会通过短信通知您，您也可以随时问我“借款进度”。"
        )
