from datetime import timedelta
from decimal import Decimal

import pytest

from actions.bank.errors import (
    CardNotFound,
    InvalidAmount,
    InvalidDateRange,
    InvalidInput,
)
from actions.bank.services.accounts import (
    balance_summary,
    find_card,
    list_accounts,
    transactions,
)


def test_list_accounts_and_summary(session, li):
    accounts = list_accounts(session, li)
    assert [(a.card_tail, a.status) for a in accounts] == [("5566", "frozen"), ("8899", "active")]
    summary = balance_summary(session, li)
    assert summary.total_balance == Decimal("10180.00")
    assert [line.product for line in summary.credit_lines] == ["credit_card"]
    assert summary.credit_lines[0].used == Decimal("2400.00")


def test_find_card_covers_debit_and_credit_cards(session, zhang):
    assert find_card(session, zhang, "1234").kind == "savings"
    credit = find_card(session, zhang, "5678")
    assert credit.kind == "credit_card" and credit.available_credit == Decimal("40114.40")
    with pytest.raises(CardNotFound):
        find_card(session, zhang, "8899")  # 李娜's card
    with pytest.raises(InvalidInput):
        find_card(session, zhang, "12")


def test_transactions_in_range_newest_first(session, zhang, day):
    statement = transactions(session, zhang, day - timedelta(days=30), day)
    dates = [t.posted_at for t in statement.items]
    assert dates == sorted(dates, reverse=True)
    assert all(day - timedelta(days=30) <= d.date() <= day for d in dates)
    assert statement.total_in == Decimal("24420.30")  # 工资 + the credit card repayment
    assert statement.total_out == sum(-t.amount for t in statement.items if t.amount < 0)
    assert {"工资", "房租", "机票"} <= {t.description for t in statement.items}


def test_iso_strings_and_future_end_is_capped(session, zhang, day):
    statement = transactions(
        session, zhang, (day - timedelta(days=3)).isoformat(), (day + timedelta(days=20)).isoformat()
    )
    assert statement.end == day
    assert [t.description for t in statement.items] == ["出行", "外卖"]


def test_amount_and_card_filters(session, zhang, day):
    big = transactions(session, zhang, day - timedelta(days=90), day, min_amount="5000")
    assert {abs(t.amount) for t in big.items} == {Decimal("18000.00"), Decimal("6420.30"), Decimal("6515.00")}
    small_card = transactions(
        session, zhang, day - timedelta(days=90), day, max_amount=Decimal("100"), card_tail="5678"
    )
    assert [t.counterparty for t in small_card.items] == ["星巴克"]
    assert all(t.card_tail == "5678" for t in small_card.items)


@pytest.mark.parametrize(
    "start, end, code",
    [
        (5, 10, "start_after_end"),
        (-3, -10, "range_in_future"),
        (400, 300, "date_range_outside_data"),
    ],
)
def test_bad_ranges(session, zhang, day, start, end, code):
    with pytest.raises(InvalidDateRange) as caught:
        transactions(session, zhang, day - timedelta(days=start), day - timedelta(days=end))
    assert caught.value.code == code


def test_bad_filters(session, zhang, day):
    with pytest.raises(InvalidDateRange):
        transactions(session, zhang, "上周", day)
    with pytest.raises(InvalidAmount):
        transactions(session, zhang, day - timedelta(days=9), day, min_amount="500", max_amount="100")
    with pytest.raises(CardNotFound):
        transactions(session, zhang, day - timedelta(days=9), day, card_tail="0000")
