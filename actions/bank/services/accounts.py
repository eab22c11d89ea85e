"""Balances, cards and transaction history."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from actions.bank.clock import today as bank_today
from actions.bank.errors import (
    AmbiguousCard,
    CardNotFound,
    InvalidAmount,
    InvalidDateRange,
)
from actions.bank.models import Account, CreditLine, Transaction
from actions.bank.money import card_tail, normalize_card_tail, to_decimal
from actions.bank.services import lookup
from actions.bank.views import (
    AccountView,
    BalanceSummary,
    CardView,
    TransactionStatement,
    TransactionView,
)

ZERO = Decimal("0.00")


def list_accounts(session: Session, customer_id: int) -> tuple[AccountView, ...]:
    lookup.customer(session, customer_id)
    return tuple(lookup.account_view(a) for a in lookup.savings_accounts(session, customer_id))


def balance_summary(session: Session, customer_id: int) -> BalanceSummary:
    accounts = list_accounts(session, customer_id)
    lines = session.scalars(select(CreditLine).where(CreditLine.customer_id == customer_id).order_by(CreditLine.id))
    return BalanceSummary(
        accounts=accounts,
        credit_lines=tuple(lookup.credit_line_view(line) for line in lines),
        total_balance=sum((a.balance for a in accounts), ZERO),
    )


def find_card(session: Session, customer_id: int, tail: str) -> CardView:
    """A debit or credit card of this customer by its last four digits."""
    tail = normalize_card_tail(tail)
    lookup.customer(session, customer_id)
    cards = [
        CardView(kind="savings", card_tail=tail, status=a.status, balance=a.balance, available_credit=None)
        for a in lookup.savings_accounts(session, customer_id)
        if card_tail(a.card_number) == tail
    ] + [
        CardView(kind="credit_card", card_tail=tail, status=line.status, balance=None, available_credit=line.available)
        for line in lookup.credit_cards_with_tail(session, customer_id, tail)
    ]
    if not cards:
        raise CardNotFound(card_tail=tail)
    if len(cards) > 1:
        raise AmbiguousCard("card_tail_shared", card_tail=tail)
    return cards[0]


def _as_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _range_dates(start, end) -> tuple[date, date]:
    try:
        first = _as_date(start)
    except ValueError:
        raise InvalidDateRange("start_date_format", given=str(start)) from None
    try:
        return first, _as_date(end)
    except ValueError:
        raise InvalidDateRange("end_date_format", given=str(end)) from None


def _earliest_record(session: Session, customer_id: int) -> date | None:
    first = session.scalar(
        select(func.min(Transaction.posted_at))
        .outerjoin(Account, Transaction.account_id == Account.id)
        .outerjoin(CreditLine, Transaction.credit_line_id == CreditLine.id)
        .where(or_(Account.customer_id == customer_id, CreditLine.customer_id == customer_id))
    )
    return first.date() if first else None


def _amount_bound(value) -> Decimal | None:
    if value is None:
        return None
    bound = to_decimal(value)
    if bound < 0:
        raise InvalidAmount("negative_amount_filter", bound=bound)
    return bound


def _check_range(session, customer_id, start: date, end: date, today: date) -> date:
    if start > end:
        raise InvalidDateRange("start_after_end", start=start, end=end)
    if start > today:
        raise InvalidDateRange("range_in_future", start=start, end=end)
    earliest = _earliest_record(session, customer_id)
    if earliest is None:
        raise InvalidDateRange("no_transaction_records", start=start, end=end)
    if end < earliest:
        raise InvalidDateRange("date_range_outside_data", earliest=earliest, start=start, end=end)
    return min(end, today)


def transactions(
    session: Session,
    customer_id: int,
    start,
    end,
    min_amount=None,
    max_amount=None,
    card_tail: str | None = None,
    today: date | None = None,
) -> TransactionStatement:
    """Transactions from ``start`` to ``end`` inclusive (dates or ISO strings), newest first.

    Amount bounds compare the absolute amount; ``card_tail`` limits to one card.
    An ``end`` in the future is capped at today.
    """
    lookup.customer(session, customer_id)
    start, end = _range_dates(start, end)
    end = _check_range(session, customer_id, start, end, today or bank_today())
    low, high = _amount_bound(min_amount), _amount_bound(max_amount)
    if low is not None and high is not None and low > high:
        raise InvalidAmount("min_above_max", low=low, high=high)
    rows = [
        row
        for row in _rows_in_range(session, customer_id, start, end, card_tail)
        if (low is None or abs(row.amount) >= low) and (high is None or abs(row.amount) <= high)
    ]
    return TransactionStatement(
        start=start,
        end=end,
        items=tuple(rows),
        total_in=sum((r.amount for r in rows if r.amount > 0), ZERO),
        total_out=sum((-r.amount for r in rows if r.amount < 0), ZERO),
    )


def _rows_in_range(session, customer_id, start, end, tail) -> list[TransactionView]:
    if tail is not None:
        find_card(session, customer_id, tail)  # clear error for a tail that isn't theirs
    query = (
        select(Transaction, Account, CreditLine)
        .outerjoin(Account, Transaction.account_id == Account.id)
        .outerjoin(CreditLine, Transaction.credit_line_id == CreditLine.id)
        .where(or_(Account.customer_id == customer_id, CreditLine.customer_id == customer_id))
        .where(Transaction.posted_at >= datetime.combine(start, time.min))
        .where(Transaction.posted_at < datetime.combine(end + timedelta(days=1), time.min))
        .order_by(Transaction.posted_at.desc(), Transaction.id.desc())
    )
    views = []
    for txn, account, line in session.execute(query):
        number = account.card_number if account else line.card_number
        tail_of_row = card_tail(number) if number else None
        if tail is not None and tail_of_row != normalize_card_tail(tail):
            continue
        views.append(
            TransactionView(
                posted_at=txn.posted_at,
                amount=txn.amount,
                description=txn.description,
                counterparty=txn.counterparty,
                product=account.kind if account else line.product,
                card_tail=tail_of_row,
            )
        )
    return views
