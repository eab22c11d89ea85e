from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from actions.bank.db import get_engine, session_scope
from actions.bank.models import Account, Base, Customer, Transaction


@pytest.fixture
def empty_url(tmp_path):
    url = f"sqlite:///{tmp_path / 'empty.db'}"
    Base.metadata.create_all(get_engine(url))
    return url


def _customer_with_account(session, balance):
    customer = Customer(name="测试", phone="13600000000", id_number_masked="x")
    account = Account(
        customer=customer, card_number="6200000000009999", balance=balance, daily_transfer_limit=Decimal("50000.00")
    )
    session.add_all([customer, account])
    session.flush()
    return account.id


@pytest.mark.parametrize("amount", ["0.10", "52340.50", "9999999999999999.99", "-0.01", "0.00"])
def test_money_round_trips_exactly(empty_url, amount):
    with session_scope(empty_url) as session:
        account_id = _customer_with_account(session, Decimal(amount))
    with session_scope(empty_url) as session:
        balance = session.get(Account, account_id).balance
    assert isinstance(balance, Decimal)
    assert str(balance) == amount


def test_money_is_rounded_half_up_to_cents(empty_url):
    with session_scope(empty_url) as session:
        account_id = _customer_with_account(session, Decimal("10.005"))
    with session_scope(empty_url) as session:
        assert session.get(Account, account_id).balance == Decimal("10.01")


def test_sums_and_comparisons_stay_decimal(empty_url):
    with session_scope(empty_url) as session:
        account_id = _customer_with_account(session, Decimal("1"))
        for amount in ("0.10", "0.20", "-0.05"):
            session.add(
                Transaction(
                    account_id=account_id, posted_at=date(2026, 1, 1), amount=Decimal(amount), description="测试"
                )
            )
    with session_scope(empty_url) as session:
        total = session.scalar(select(func.sum(Transaction.amount)))
        big = session.scalars(select(Transaction.amount).where(Transaction.amount > Decimal("0.15"))).all()
    assert total == Decimal("0.25") and isinstance(total, Decimal)
    assert big == [Decimal("0.20")]


def test_foreign_keys_are_enforced(empty_url):
    with pytest.raises(IntegrityError), session_scope(empty_url) as session:
        session.add(Account(customer_id=999, card_number="1", balance=Decimal("1"), daily_transfer_limit=Decimal("1")))


def test_schema_and_money_type_work_on_postgresql():
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateTable

    dialect = postgresql.dialect()
    ddl = "\n".join(str(CreateTable(t).compile(dialect=dialect)) for t in Base.metadata.sorted_tables)
    assert "balance NUMERIC(18, 2) NOT NULL" in ddl
    money = Account.__table__.c.balance.type
    assert money.process_bind_param(Decimal("1.005"), dialect) == Decimal("1.01")
    assert money.process_result_value(Decimal("7.5"), dialect) == Decimal("7.50")
