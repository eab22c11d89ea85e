"""Read-only answers from the customer's data: balance, bill, transactions, limits, loans."""

from abc import ABC, abstractmethod
from datetime import date, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.bank.clock import today as bank_today
from actions.bank.errors import BankError
from actions.bank.services import accounts, credit, loans
from actions.bank.views import PRODUCT_NAMES
from actions.common import bank_session, tell_error
from actions.products import CREDIT_PRODUCTS
from actions.reply_values import Reply, lines
from actions.reply_values import line as reply_line
from actions.tasks import finish_task
from actions.verification import VerifiedFormValidator, require_customer

DEFAULT_HISTORY_DAYS = 30
MAX_LISTED_TRANSACTIONS = 10
ABOVE_WORDS = ("以上", "超过", "大于", "高于", "多于")
BELOW_WORDS = ("以下", "不到", "小于", "低于", "少于")


class ValidateBalanceForm(VerifiedFormValidator):
    def name(self) -> str:
        return "validate_balance_form"


class ValidateBillForm(VerifiedFormValidator):
    def name(self) -> str:
        return "validate_bill_form"


class ValidateTransactionsForm(VerifiedFormValidator):
    def name(self) -> str:
        return "validate_transactions_form"


class ValidateCreditLimitForm(VerifiedFormValidator):
    def name(self) -> str:
        return "validate_credit_limit_form"


class ValidateRaiseLimitForm(VerifiedFormValidator):
    def name(self) -> str:
        return "validate_raise_limit_form"


class ValidateLoanStatusForm(VerifiedFormValidator):
    def name(self) -> str:
        return "validate_loan_status_form"


class CustomerQuery(Action, ABC):
    """An answer that needs a verified customer; subclasses write ``answer``."""

    @abstractmethod
    def answer(self, session, customer: int, tracker: Tracker) -> Reply:
        """The reply: a response with its values."""

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        """Slots that carry what was just shown to the next request."""
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        in_between = tracker.active_loop_name is not None  # asked in the middle of a task, which goes on
        customer = require_customer(dispatcher, tracker)
        if customer is None:
            return [] if in_between else finish_task(dispatcher, tracker)
        try:
            with bank_session() as session:
                reply = self.answer(session, customer, tracker)
        except BankError as error:
            tell_error(dispatcher, error)
        else:
            dispatcher.utter_message(**reply)
        return self.context(tracker) + ([] if in_between else finish_task(dispatcher, tracker))


class ActionShowBalance(CustomerQuery):
    def name(self) -> str:
        return "action_show_balance"

    def answer(self, session, customer, tracker):
        summary = accounts.balance_summary(session, customer)
        items = [
            reply_line(
                "utter_balance_frozen_account" if a.status == "frozen" else "utter_balance_account",
                product=PRODUCT_NAMES[a.kind],
                card_tail=typed.digits(a.card_tail),
                balance=typed.money(a.balance),
            )
            for a in summary.accounts
        ]
        items += [
            reply_line("utter_balance_credit_line", product=c.product_name, available=typed.money(c.available))
            for c in summary.credit_lines
        ]
        if not items:
            return reply_line("utter_no_accounts")
        return reply_line("utter_balance", accounts=lines(items))


class ActionShowBill(CustomerQuery):
    def name(self) -> str:
        return "action_show_bill"

    def context(self, tracker: Tracker) -> list[dict[str, Any]]:
        asked = asked_products(tracker)
        return [SlotSet("context_product", asked[0])] if len(asked) == 1 else []

    def answer(self, session, customer, tracker):
        bills = []
        asked = asked_products(tracker)
        for line in credit.credit_lines(session, customer):
            if asked and line.product not in asked:
                continue
            try:
                bills.append(credit.current_bill(session, customer, line.product))
            except BankError:
                continue
        if not bills:
            return reply_line("utter_no_bills")
        return reply_line("utter_bills", bills=lines([describe_bill(bill) for bill in bills]))


def asked_products(tracker: Tracker) -> list[str]:
    """The credit products the customer named (信用卡账单 → credit_card), if any."""
    named = tracker.get_slot("account_type") or []
    return [p for p in CREDIT_PRODUCTS if p in named]


def describe_bill(bill) -> Reply:
    if bill.remaining <= 0:
        return reply_line("utter_bill_paid", product=bill.product_name)
    return reply_line(
        "utter_bill_overdue" if bill.days_overdue > 0 else "utter_bill_due",
        product=bill.product_name,
        amount=typed.money(bill.remaining),
        minimum=typed.money(bill.remaining_minimum),
        due=typed.day(bill.due_date),
        days_overdue=bill.days_overdue,
    )


class ActionShowTransactions(CustomerQuery):
    def name(self) -> str:
        return "action_show_transactions"

    def answer(self, session, customer, tracker):
        start, end = requested_period(tracker, bank_today())
        low, high = amount_filter(tracker)
        statement = accounts.transactions(
            session, customer, start, end, min_amount=low, max_amount=high, card_tail=tracker.get_slot("card_tail")
        )
        period = {"start": typed.full_date(statement.start), "end": typed.full_date(statement.end)}
        if not statement.items:
            return reply_line("utter_no_transactions", **period)
        listed = [
            reply_line(
                "utter_transaction",
                posted=typed.full_date(item.posted_at.date()),
                description=item.description,
                amount=typed.money(item.amount),
            )
            for item in statement.items[:MAX_LISTED_TRANSACTIONS]
        ]
        more = len(statement.items) > MAX_LISTED_TRANSACTIONS
        return reply_line(
            "utter_transactions_more_in_app" if more else "utter_transactions",
            **period,
            count=len(statement.items),
            total_in=typed.money(statement.total_in),
            total_out=typed.money(statement.total_out),
            items=lines(listed),
            listed=MAX_LISTED_TRANSACTIONS,
        )


def requested_period(tracker: Tracker, today: date) -> tuple[date, date]:
    """The range the customer asked for; the last 30 days when they named none."""
    date_range = tracker.get_slot("date_range")
    if isinstance(date_range, dict) and date_range.get("start") and date_range.get("end"):
        return date.fromisoformat(date_range["start"]), date.fromisoformat(date_range["end"])
    single = tracker.get_slot("date")
    if single:
        day = date.fromisoformat(single)
        return day, day
    return today - timedelta(days=DEFAULT_HISTORY_DAYS - 1), today


def amount_filter(tracker: Tracker) -> tuple[str | None, str | None]:
    """(min, max) from an amount in the question: "500以上" is a minimum, "100以下" a maximum."""
    amount = tracker.get_slot("amount")
    if not amount or amount in ("full", "minimum"):
        return None, None
    text = tracker.latest_message.get("text") or ""
    if any(word in text for word in BELOW_WORDS):
        return None, amount
    return amount, None


class ActionShowCreditLimit(CustomerQuery):
    def name(self) -> str:
        return "action_show_credit_limit"

    def answer(self, session, customer, tracker):
        credit_lines = credit.credit_lines(session, customer)
        if not credit_lines:
            return reply_line("utter_no_credit_lines")
        items = [
            reply_line(
                "utter_credit_line",
                product=c.product_name,
                limit=typed.money(c.credit_limit),
                used=typed.money(c.used),
                available=typed.money(c.available),
            )
            for c in credit_lines
        ]
        return reply_line("utter_credit_lines", credit_lines=lines(items))


class ActionRaiseCreditLimit(CustomerQuery):
    def name(self) -> str:
        return "action_raise_credit_limit"

    def answer(self, session, customer, tracker):
        answers = []
        for c in credit.credit_lines(session, customer):
            result = credit.raise_limit_eligibility(session, customer, c.product)
            if result.eligible:
                answers.append(
                    reply_line(
                        "utter_limit_can_be_raised",
                        product=c.product_name,
                        limit=typed.money(result.current_limit),
                        raised_limit=typed.money(result.suggested_limit),
                    )
                )
            else:
                answers.append(
                    reply_line(
                        "utter_limit_cannot_be_raised", product=c.product_name, reasons="；".join(result.reasons)
                    )
                )
        if not answers:
            return reply_line("utter_no_credit_line_to_raise")
        return reply_line("utter_raise_limit", answers=lines(answers))


class ActionShowLoanStatus(CustomerQuery):
    def name(self) -> str:
        return "action_show_loan_status"

    def answer(self, session, customer, tracker):
        items = [describe_loan(loan) for loan in loans.loans(session, customer)]
        items += [
            reply_line(
                "utter_loan_application",
                number=typed.digits(app.number),
                amount=typed.money(app.amount),
                term_months=app.term_months,
                purpose=app.purpose,
                status=app.status,
            )
            for app in loans.loan_applications(session, customer)
        ]
        if not items:
            return reply_line("utter_no_loans")
        return reply_line("utter_loans", loans=lines(items))


def describe_loan(loan) -> Reply:
    values = {
        "product": PRODUCT_NAMES.get(loan.product, loan.product),
        "principal": typed.money(loan.principal),
        "outstanding": typed.money(loan.outstanding),
        "status": loan.status,
    }
    if loan.next_due_date and loan.next_due_amount:
        return reply_line(
            "utter_loan_with_next_payment",
            **values,
            due=typed.day(loan.next_due_date),
            amount=typed.money(loan.next_due_amount),
        )
    return reply_line("utter_loan", **values)
