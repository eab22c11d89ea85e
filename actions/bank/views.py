"""Read-only results the services return.

Amounts are Decimal; cards are identified by their last four digits only. The exception is
`services.lookup`, whose results are ORM rows: the actions choose and check the paying
savings card through it (card number, status, balance, daily limit).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

PRODUCT_NAMES = {"savings": "储蓄卡", "credit_card": "信用卡", "baitiao": "白条", "jintiao": "金条"}


@dataclass(frozen=True)
class CustomerView:
    id: int
    name: str
    masked_phone: str


@dataclass(frozen=True)
class SmsView:
    """A message in the demo outbox (the demo's phone)."""

    masked_phone: str
    text: str
    conversation: str | None
    created_at: datetime


@dataclass(frozen=True)
class AccountView:
    id: int
    kind: str
    card_tail: str
    balance: Decimal
    daily_transfer_limit: Decimal
    status: str


@dataclass(frozen=True)
class CreditLineView:
    id: int
    product: str
    product_name: str
    credit_limit: Decimal
    available: Decimal
    used: Decimal
    card_tail: str | None
    status: str


@dataclass(frozen=True)
class BalanceSummary:
    accounts: tuple[AccountView, ...]
    credit_lines: tuple[CreditLineView, ...]
    total_balance: Decimal


@dataclass(frozen=True)
class CardView:
    """A debit card (kind ``savings``) or a credit card (kind ``credit_card``)."""

    kind: str
    card_tail: str
    status: str
    balance: Decimal | None
    available_credit: Decimal | None


@dataclass(frozen=True)
class TransactionView:
    posted_at: datetime
    amount: Decimal
    description: str
    counterparty: str | None
    product: str
    card_tail: str | None


@dataclass(frozen=True)
class TransactionStatement:
    """Transactions in ``start``..``end`` (inclusive; ``end`` is capped at today)."""

    start: date
    end: date
    items: tuple[TransactionView, ...]
    total_in: Decimal
    total_out: Decimal


@dataclass(frozen=True)
class BillView:
    id: int
    product: str
    product_name: str
    card_tail: str | None
    statement_date: date
    due_date: date
    amount_due: Decimal
    minimum_due: Decimal
    paid_amount: Decimal
    remaining: Decimal
    remaining_minimum: Decimal
    status: str
    days_overdue: int


@dataclass(frozen=True)
class InstallmentQuote:
    product: str
    count: int
    principal: Decimal
    fee_rate: Decimal
    per_period_principal: Decimal
    per_period_fee: Decimal
    per_period_amount: Decimal
    last_period_amount: Decimal
    total_fee: Decimal
    total_amount: Decimal


@dataclass(frozen=True)
class InstallmentPlanView:
    plan_id: int
    quote: InstallmentQuote
    first_due_date: date


@dataclass(frozen=True)
class RepaymentView:
    product: str
    amount: Decimal
    source_card_tail: str
    source_balance_after: Decimal
    remaining: Decimal
    status: str


@dataclass(frozen=True)
class LimitEligibility:
    product: str
    eligible: bool
    current_limit: Decimal
    suggested_limit: Decimal | None
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class LoanView:
    id: int
    product: str
    principal: Decimal
    outstanding: Decimal
    term_months: int
    annual_rate: Decimal
    next_due_date: date | None
    next_due_amount: Decimal | None
    status: str


@dataclass(frozen=True)
class LoanApplicationView:
    number: str
    amount: Decimal
    term_months: int
    purpose: str
    status: str
    created_at: datetime


@dataclass(frozen=True)
class PayeeView:
    name: str
    bank: str
    account_tail: str


@dataclass(frozen=True)
class TransferView:
    number: str
    recipient: str
    bank: str
    recipient_account_tail: str
    amount: Decimal
    source_card_tail: str
    balance_after: Decimal
    remaining_daily_limit: Decimal
    created_at: datetime


@dataclass(frozen=True)
class FreezeResult:
    kind: str
    card_tail: str
    frozen_at: datetime


@dataclass(frozen=True)
class TicketView:
    number: str
    sender_id: str
    customer_id: int | None
    priority: str
    summary: str
    status: str
    created_at: datetime
