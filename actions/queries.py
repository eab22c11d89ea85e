"""Read-only answers from the customer's data: balance, bill, transactions, limits, loans."""

from abc import ABC, abstractmethod
from datetime import date, timedelta
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.clock import today as bank_today
from actions.bank.errors import BankError
from actions.bank.money import format_yuan
from actions.bank.services import accounts, credit, loans
from actions.bank.views import PRODUCT_NAMES
from actions.common import bank_session
from actions.products import CREDIT_PRODUCTS
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
    def answer(self, session, customer: int, tracker: Tracker) -> list[str]:
        """Lines of the reply."""

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
                lines = self.answer(session, customer, tracker)
        except BankError as error:
            lines = [error.message]
        dispatcher.utter_message(text="\n".join(lines))
        return self.context(tracker) + ([] if in_between else finish_task(dispatcher, tracker))


class ActionShowBalance(CustomerQuery):
    def name(self) -> str:
        return "action_show_balance"

    def answer(self, session, customer, tracker):
        summary = accounts.balance_summary(session, customer)
        lines = [
            f"{PRODUCT_NAMES[a.kind]}尾号{a.card_tail}：可用余额{format_yuan(a.balance)}"
            + ("（已冻结）" if a.status == "frozen" else "")
            for a in summary.accounts
        ]
        lines += [f"{line.product_name}：可用额度{format_yuan(line.available)}" for line in summary.credit_lines]
        if not lines:
            return ["您名下目前没有储蓄账户或信用产品。"]
        return ["您的账户情况如下："] + lines


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
            return ["您目前没有未出或待还的账单。"]
        return [describe_bill(bill) for bill in bills]


def asked_products(tracker: Tracker) -> list[str]:
    """The credit products the customer named (信用卡账单 → credit_card), if any."""
    named = tracker.get_slot("account_type") or []
    return [p for p in CREDIT_PRODUCTS if p in named]


def describe_bill(bill) -> str:
    due = f"{bill.due_date.month}月{bill.due_date.day}日"
    if bill.remaining <= 0:
        return f"{bill.product_name}本期账单已还清。"
    text = (
        f"{bill.product_name}本期应还{format_yuan(bill.remaining)}，"
        f"最低还款{format_yuan(bill.remaining_minimum)}，到期日{due}。"
    )
    if bill.days_overdue > 0:
        text += f"目前已逾期{bill.days_overdue}天，请尽快还款以免影响征信。"
    return text


class ActionShowTransactions(CustomerQuery):
    def name(self) -> str:
        return "action_show_transactions"

    def answer(self, session, customer, tracker):
        start, end = requested_period(tracker, bank_today())
        low, high = amount_filter(tracker)
        statement = accounts.transactions(
            session, customer, start, end, min_amount=low, max_amount=high, card_tail=tracker.get_slot("card_tail")
        )
        period = f"{cn_date(statement.start)}至{cn_date(statement.end)}"
        if not statement.items:
            return [f"{period}没有符合条件的交易记录。"]
        lines = [
            f"{period}共{len(statement.items)}笔交易，收入{format_yuan(statement.total_in)}，"
            f"支出{format_yuan(statement.total_out)}。"
        ]
        lines += [
            f"{cn_date(item.posted_at.date())} {item.description} {format_yuan(item.amount)}"
            for item in statement.items[:MAX_LISTED_TRANSACTIONS]
        ]
        if len(statement.items) > MAX_LISTED_TRANSACTIONS:
            lines.append(f"以上为最近{MAX_LISTED_TRANSACTIONS}笔，完整明细请在App中查看。")
        return lines


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


def cn_date(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


class ActionShowCreditLimit(CustomerQuery):
    def name(self) -> str:
        return "action_show_credit_limit"

    def answer(self, session, customer, tracker):
        lines = credit.credit_lines(session, customer)
        if not lines:
            return ["您目前还没有开通信用卡或白条。"]
        return [
            f"{line.product_name}：总额度{format_yuan(line.credit_limit)}，"
            f"已用{format_yuan(line.used)}，可用{format_yuan(line.available)}。"
            for line in lines
        ]


class ActionRaiseCreditLimit(CustomerQuery):
    def name(self) -> str:
        return "action_raise_credit_limit"

    def answer(self, session, customer, tracker):
        answers = []
        for line in credit.credit_lines(session, customer):
            result = credit.raise_limit_eligibility(session, customer, line.product)
            if result.eligible:
                answers.append(
                    f"{line.product_name}目前额度{format_yuan(result.current_limit)}，"
                    f"您符合提额条件，可申请提升至{format_yuan(result.suggested_limit)}，"
                    "请在App“额度管理”中提交申请，审核结果会短信通知您。"
                )
            else:
                reasons = "；".join(result.reasons)
                answers.append(f"{line.product_name}暂不满足提额条件：{reasons}。")
        return answers or ["您目前还没有开通信用卡或白条，暂时无法提额。"]


class ActionShowLoanStatus(CustomerQuery):
    def name(self) -> str:
        return "action_show_loan_status"

    def answer(self, session, customer, tracker):
        lines = [describe_loan(loan) for loan in loans.loans(session, customer)]
        lines += [
            f"借款申请{app.number}：{format_yuan(app.amount)}，{app.term_months}个月，"
            f"用途{app.purpose}，状态：{app.status}。"
            for app in loans.loan_applications(session, customer)
        ]
        return lines or ["您目前没有借款，也没有正在审核的借款申请。"]


def describe_loan(loan) -> str:
    text = (
        f"{PRODUCT_NAMES.get(loan.product, loan.product)}借款{format_yuan(loan.principal)}，"
        f"剩余待还本金{format_yuan(loan.outstanding)}，状态：{loan.status}"
    )
    if loan.next_due_date and loan.next_due_amount:
        text += (
            f"，下次还款日{loan.next_due_date.month}月{loan.next_due_date.day}日，"
            f"应还{format_yuan(loan.next_due_amount)}"
        )
    return text + "。"
