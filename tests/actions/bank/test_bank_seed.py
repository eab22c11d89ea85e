from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from actions.bank.db import get_engine, init_db, session_scope
from actions.bank.models import (
    Account,
    AuditLog,
    Base,
    Bill,
    CreditLine,
    Customer,
    Loan,
    Payee,
    Transaction,
)
from actions.bank.seed import seed_demo_data

TABLES = (Customer, Account, CreditLine, Bill, Loan, Payee, Transaction)


def _snapshot(url):
    with session_scope(url) as session:
        return {
            model.__tablename__: [
                {c.name: getattr(row, c.key) for c in model.__table__.columns}
                for row in session.scalars(select(model).order_by(model.id))
            ]
            for model in TABLES
        }


def _seeded(tmp_path, name, day):
    url = f"sqlite:///{tmp_path / name}"
    Base.metadata.create_all(get_engine(url))
    with session_scope(url) as session:
        seed_demo_data(session, today=day)
    return url


def test_seed_is_deterministic_for_a_day(tmp_path):
    day = date(2026, 3, 15)
    first, second = _seeded(tmp_path, "a.db", day), _seeded(tmp_path, "b.db", day)
    snapshot = _snapshot(first)
    assert snapshot == _snapshot(second)
    assert len(snapshot["customers"]) == 3
    bill_dates = {(b["statement_date"], b["due_date"]) for b in snapshot["bills"]}
    assert (day - timedelta(days=10), day + timedelta(days=10)) in bill_dates


def test_init_db_is_idempotent(tmp_path):
    url = f"sqlite:///{tmp_path / 'sub' / 'bank.db'}"
    assert init_db(url) is True
    before = _snapshot(url)
    assert init_db(url) is False
    assert _snapshot(url) == before


def test_init_db_without_seed_creates_empty_tables(tmp_path, count):
    url = f"sqlite:///{tmp_path / 'bank.db'}"
    assert init_db(url, seed=False) is False
    with session_scope(url) as session:
        assert count(session, Customer) == 0 and count(session, AuditLog) == 0


def test_demo_customer_facts(session, zhang, li, wang):
    savings = session.scalars(select(Account).where(Account.customer_id == zhang)).one()
    assert savings.card_number.endswith("1234") and savings.balance == Decimal("52340.50")
    lines = {line.product: line for line in session.scalars(select(CreditLine).where(CreditLine.customer_id == zhang))}
    assert lines["credit_card"].credit_limit == Decimal("50000.00")
    assert lines["credit_card"].bills[-1].amount_due == Decimal("8650.00")
    assert lines["credit_card"].bills[-1].minimum_due == Decimal("865.00")
    assert lines["baitiao"].bills[-1].amount_due == Decimal("3120.80")
    assert {p.name for p in session.scalars(select(Payee).where(Payee.customer_id == zhang))} == {"李娜", "王强"}
    assert {a.status for a in session.scalars(select(Account).where(Account.customer_id == li))} == {"active", "frozen"}
    assert session.scalar(select(func.count(CreditLine.id)).where(CreditLine.customer_id == wang)) == 0


def test_credit_used_matches_transactions(session):
    """Used credit = everything spent minus everything repaid on that line."""
    for line in session.scalars(select(CreditLine)):
        spent = session.scalar(select(func.sum(Transaction.amount)).where(Transaction.credit_line_id == line.id))
        assert line.credit_limit - line.available == -spent


def test_transactions_span_about_ninety_days(session, day):
    first, last = session.execute(select(func.min(Transaction.posted_at), func.max(Transaction.posted_at))).one()
    assert 80 <= (day - first.date()).days <= 95
    assert last.date() <= day
    descriptions = set(session.scalars(select(Transaction.description)))
    assert {"工资", "房租", "超市购物", "外卖", "转账"} <= descriptions
