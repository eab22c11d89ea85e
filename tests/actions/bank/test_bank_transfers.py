from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.bank.errors import (
    AmbiguousCard,
    CardFrozen,
    CardNotFound,
    DailyLimitExceeded,
    InsufficientFunds,
    InvalidAmount,
    PayeeNotFound,
)
from actions.bank.models import Account, AuditLog, Transaction, Transfer
from actions.bank.services import audit
from actions.bank.services.accounts import list_accounts
from actions.bank.services.transfers import payees, transfer


def test_payees(session, zhang):
    assert [(p.name, p.bank, p.account_tail) for p in payees(session, zhang)] == [
        ("李娜", "招商银行", "6688"),
        ("王强", "中国工商银行", "9012"),
    ]


def test_transfer_happy_path(session, zhang, noon, count):
    result = transfer(session, zhang, "李娜", "1500.5", "1234", "web-1", now=noon)
    assert result.amount == Decimal("1500.50") and result.balance_after == Decimal("50840.00")
    assert result.remaining_daily_limit == Decimal("48499.50")
    assert result.recipient_account_tail == "6688" and result.number.startswith("T")
    assert list_accounts(session, zhang)[0].balance == Decimal("50840.00")
    posted = session.scalars(select(Transaction).order_by(Transaction.id.desc())).first()
    assert (posted.amount, posted.counterparty, posted.posted_at) == (Decimal("-1500.50"), "李娜", noon)
    [entry] = audit.entries(session, zhang, "transfer")
    assert entry[4] == {"amount": "1500.50", "number": result.number, "recipient": "李娜", "source_card_tail": "1234"}
    assert "6217000010001234" not in session.scalar(select(AuditLog.detail))


def test_default_source_is_the_only_active_card(session, li, noon):
    assert transfer(session, li, "张伟", "100", None, "s", now=noon).source_card_tail == "8899"


def test_ambiguous_source_card(session, li):
    for account in session.scalars(select(Account)):
        account.status = "active"
    with pytest.raises(AmbiguousCard):
        transfer(session, li, "张伟", "100", None, "s")


def test_unknown_payee_lists_known_ones(session, zhang):
    with pytest.raises(PayeeNotFound) as caught:
        transfer(session, zhang, "赵六", "100", "1234", "s")
    assert caught.value.values == {"name": "赵六", "payees": ["李娜", "王强"]}


@pytest.mark.parametrize("amount", ["0", "-1", "一百", "10000000.01", "99999999999"])
def test_bad_amounts(session, zhang, amount):
    with pytest.raises(InvalidAmount):
        transfer(session, zhang, "李娜", amount, "1234", "s")


def test_over_balance(session, li):
    with pytest.raises(InsufficientFunds) as caught:
        transfer(session, li, "张伟", "8900.01", "8899", "s")
    assert caught.value.values["balance"] == Decimal("8900.00") and caught.value.values["card_tail"] == "8899"


def test_daily_limit_counts_todays_transfers(session, wang, noon):
    transfer(session, wang, "张伟", "60000", "3344", "s", now=noon)
    with pytest.raises(DailyLimitExceeded) as caught:
        transfer(session, wang, "张伟", "40000.01", "3344", "s", now=noon + timedelta(hours=1))
    assert caught.value.values["left_today"] == Decimal("40000.00")
    assert caught.value.values["daily_limit"] == Decimal("100000.00")
    assert transfer(
        session, wang, "张伟", "40000", "3344", "s", now=noon + timedelta(hours=2)
    ).remaining_daily_limit == Decimal("0.00")
    tomorrow = transfer(session, wang, "张伟", "50000", "3344", "s", now=noon + timedelta(days=1))
    assert tomorrow.remaining_daily_limit == Decimal("50000.00")


def test_frozen_and_unknown_cards(session, li, zhang, count):
    with pytest.raises(CardFrozen) as caught:
        transfer(session, li, "张伟", "10", "5566", "s")
    assert caught.value.values == {"card_tail": "5566"}
    with pytest.raises(CardNotFound):
        transfer(session, zhang, "李娜", "10", "9999", "s")
    assert count(session, Transfer) == 0 and count(session, AuditLog) == 0
