"""Money moves at most once per idempotency key: repeated, and raced by concurrent duplicates
(SQLite always; PostgreSQL too when TEST_POSTGRES_URL is set)."""

import threading
from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.errors import InsufficientFunds
from actions.bank.models import Account, AuditLog, Bill, LoanApplication, MoneyMovement, Transaction, Transfer
from actions.bank.services.credit import create_installment, repay
from actions.bank.services.loans import apply_loan
from actions.bank.services.movements import KeyReused, at_most_once
from actions.bank.services.transfers import transfer

MOVEMENTS = {
    "transfer": lambda s, c, key: transfer(s, c, "李娜", "1000", "1234", "web-1", idempotency_key=key),
    "repay": lambda s, c, key: repay(s, c, "credit_card", amount="500", sender_id="web-1", idempotency_key=key),
    "repay_loan": lambda s, c, key: repay(s, c, "jintiao", mode="minimum", sender_id="web-1", idempotency_key=key),
    "apply_loan": lambda s, c, key: apply_loan(s, c, "5000", 6, "旅游", "web-1", idempotency_key=key),
    "installment": lambda s, c, key: create_installment(s, c, "baitiao", 3, "web-1", idempotency_key=key),
}


def state(url):
    with session_scope(url) as session:
        return {
            "balances": [a.balance for a in session.scalars(select(Account).order_by(Account.id))],
            "bills": [(b.paid_amount, b.amount_due, b.status) for b in session.scalars(select(Bill).order_by(Bill.id))],
            "transactions": len(session.scalars(select(Transaction.id)).all()),
            "transfers": len(session.scalars(select(Transfer.id)).all()),
            "applications": len(session.scalars(select(LoanApplication.id)).all()),
            "audit": [(a.action, a.detail) for a in session.scalars(select(AuditLog).order_by(AuditLog.id))],
            "movements": [(m.key, m.kind) for m in session.scalars(select(MoneyMovement).order_by(MoneyMovement.id))],
        }


@pytest.mark.parametrize("name", MOVEMENTS)
def test_a_repeated_key_returns_the_first_receipt_and_changes_nothing(db_url, zhang, name):
    with session_scope(db_url) as session:
        first = MOVEMENTS[name](session, zhang, "k-1")
    once = state(db_url)
    with session_scope(db_url) as session:
        again = MOVEMENTS[name](session, zhang, "k-1")
    assert again == first
    assert state(db_url) == once
    assert once["movements"] == [("k-1", {"repay_loan": "repay"}.get(name, name))]
    assert '"idempotency_key": "k-1"' in once["audit"][-1][1]


def test_a_new_key_is_a_new_transfer(db_url, zhang):
    with session_scope(db_url) as session:
        first = MOVEMENTS["transfer"](session, zhang, "k-1")
        second = MOVEMENTS["transfer"](session, zhang, "k-2")
    assert second.number != first.number and second.balance_after == first.balance_after - Decimal("1000.00")


def test_without_a_key_nothing_is_remembered(db_url, zhang):
    with session_scope(db_url) as session:
        MOVEMENTS["transfer"](session, zhang, None)
        MOVEMENTS["transfer"](session, zhang, None)
    assert state(db_url)["transfers"] == 2 and state(db_url)["movements"] == []


def test_a_refused_movement_keeps_no_claim(db_url, li):
    before = state(db_url)
    with session_scope(db_url) as session, pytest.raises(InsufficientFunds):  # the caller commits after the refusal
        transfer(session, li, "张伟", "8900.01", "8899", "web-1", idempotency_key="k-1")
    assert state(db_url) == before


def test_a_key_of_another_kind_or_customer_is_a_bug_not_a_receipt(db_url, zhang, li):
    with session_scope(db_url) as session:
        MOVEMENTS["transfer"](session, zhang, "k-1")
    with pytest.raises(KeyReused), session_scope(db_url) as session:
        MOVEMENTS["repay"](session, zhang, "k-1")
    with pytest.raises(KeyReused), session_scope(db_url) as session:
        transfer(session, li, "张伟", "10", "8899", "web-1", idempotency_key="k-1")


@pytest.mark.parametrize("name", ["transfer", "repay", "repay_loan"])
def test_concurrent_duplicates_move_money_once(db_url, zhang, name):
    """Eight threads confirm the same request at the same moment: the unique key lets one through;
    the others' transactions roll back and each gets the winner's receipt."""
    before = state(db_url)
    start, receipts, errors = threading.Barrier(8), [], []

    def confirm():
        start.wait()
        try:
            receipts.append(at_most_once(lambda session: MOVEMENTS[name](session, zhang, "double-tap"), db_url))
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=confirm) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(receipts) == 8 and all(receipt == receipts[0] for receipt in receipts)
    after = state(db_url)
    debited = [old - new for old, new in zip(before["balances"], after["balances"], strict=True) if old != new]
    assert debited == [receipts[0].amount]  # one account, debited once
    assert len(after["audit"]) == len(before["audit"]) + 1
    assert len(after["movements"]) == 1
    assert after["transfers"] == before["transfers"] + (name == "transfer")
    assert after["transactions"] == before["transactions"] + (2 if name == "repay" else 1)
