"""A failure part-way through a state change must leave the database as it was."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.errors import BankError
from actions.bank.models import Account, AuditLog, Bill, Transaction, Transfer
from actions.bank.services import audit
from actions.bank.services.cards import freeze_card
from actions.bank.services.credit import create_installment, repay
from actions.bank.services.loans import apply_loan
from actions.bank.services.transfers import transfer

OPERATIONS = {
    "transfer": lambda s, c: transfer(s, c, "李娜", "1000", "1234", "web-1"),
    "repay": lambda s, c: repay(s, c, "credit_card", mode="full", sender_id="web-1"),
    "repay_loan": lambda s, c: repay(s, c, "jintiao", mode="minimum", sender_id="web-1"),
    "installment": lambda s, c: create_installment(s, c, "baitiao", 3, "web-1"),
    "freeze": lambda s, c: freeze_card(s, c, "1234", "丢失", "web-1"),
    "apply_loan": lambda s, c: apply_loan(s, c, "5000", 6, "旅游", "web-1"),
}


def _state(url):
    with session_scope(url) as session:
        return (
            [(a.balance, a.status) for a in session.scalars(select(Account).order_by(Account.id))],
            [(b.paid_amount, b.amount_due, b.status) for b in session.scalars(select(Bill).order_by(Bill.id))],
            session.scalars(select(Transaction.id)).all(),
            session.scalars(select(Transfer.id)).all(),
            session.scalars(select(AuditLog.id)).all(),
        )


class AuditDown(RuntimeError):
    pass


@pytest.mark.parametrize("name", OPERATIONS)
def test_forced_failure_rolls_everything_back(db_url, zhang, monkeypatch, name):
    before = _state(db_url)

    def broken_audit(*args, **kwargs):
        raise AuditDown("audit store unavailable")

    monkeypatch.setattr(audit, "record", broken_audit)
    with pytest.raises(AuditDown), session_scope(db_url) as session:
        OPERATIONS[name](session, zhang)
    assert _state(db_url) == before


@pytest.mark.parametrize("name", OPERATIONS)
def test_success_commits_change_and_audit_together(db_url, zhang, name):
    before = _state(db_url)
    with session_scope(db_url) as session:
        OPERATIONS[name](session, zhang)
    after = _state(db_url)
    assert after != before and len(after[4]) == len(before[4]) + 1


def test_rejected_request_changes_nothing_even_if_caller_commits(db_url, wang):
    before = _state(db_url)
    with session_scope(db_url) as session:
        transfer(session, wang, "张伟", "60000", "3344", "s")
        with pytest.raises(BankError):
            transfer(session, wang, "张伟", "50000", "3344", "s")
    after = _state(db_url)
    assert len(after[3]) == len(before[3]) + 1
    with session_scope(db_url) as session:
        balance = session.scalar(select(Account.balance).where(Account.card_number.endswith("3344")))
    assert balance == Decimal("200000.00")
