"""Transfers to the customer's saved payees."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import DailyLimitExceeded, PayeeNotFound
from actions.bank.models import Account, Payee, Transaction, Transfer
from actions.bank.money import card_tail, parse_amount
from actions.bank.services import audit, lookup, movements
from actions.bank.views import PayeeView, TransferView


def payees(session: Session, customer_id: int) -> tuple[PayeeView, ...]:
    lookup.customer(session, customer_id)
    rows = session.scalars(select(Payee).where(Payee.customer_id == customer_id).order_by(Payee.id))
    return tuple(PayeeView(name=p.name, bank=p.bank, account_tail=p.account_tail) for p in rows)


def _payee(session: Session, customer_id: int, name: str) -> Payee:
    name = (name or "").strip()
    found = session.scalar(select(Payee).where(Payee.customer_id == customer_id, Payee.name == name).limit(1))
    if found is None:
        known = [p.name for p in payees(session, customer_id)]
        if not known:
            raise PayeeNotFound("payee_not_found_none_saved", name=name)
        raise PayeeNotFound(name=name, payees=known)
    return found


def transferred_today(session: Session, account: Account, moment: datetime) -> Decimal:
    start = datetime.combine(moment.date(), time.min)
    total = session.scalar(
        select(func.sum(Transfer.amount)).where(
            Transfer.account_id == account.id,
            Transfer.created_at >= start,
            Transfer.created_at < start + timedelta(days=1),
        )
    )
    return total or Decimal("0.00")


def transfer(
    session: Session,
    customer_id: int,
    recipient_name: str,
    amount,
    source_card_tail: str | None,
    sender_id: str,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> TransferView:
    """Send ``amount`` to a saved payee from an active debit card, within balance and daily limit.

    With an ``idempotency_key``, a repeat of the key returns the first transfer's receipt (movements.once)."""
    moment = now or bank_now()

    def move() -> TransferView:
        return _transfer(
            session, customer_id, recipient_name, amount, source_card_tail, sender_id, moment, idempotency_key
        )

    return movements.once(session, idempotency_key, "transfer", customer_id, TransferView, move, now=moment)


def _transfer(
    session: Session,
    customer_id: int,
    recipient_name: str,
    amount,
    source_card_tail: str | None,
    sender_id: str,
    moment: datetime,
    idempotency_key: str | None,
) -> TransferView:
    value = parse_amount(amount)
    lookup.customer(session, customer_id)
    payee = _payee(session, customer_id, recipient_name)
    account = lookup.source_account(session, customer_id, source_card_tail)
    lookup.check_can_pay(account, value)
    remaining_limit = account.daily_transfer_limit - transferred_today(session, account, moment)
    if value > remaining_limit:
        raise DailyLimitExceeded(
            amount=value,
            left_today=max(remaining_limit, Decimal("0.00")),
            daily_limit=account.daily_transfer_limit,
        )

    account.balance -= value
    record = Transfer(account_id=account.id, payee_id=payee.id, amount=value, created_at=moment)
    session.add(record)
    session.add(
        Transaction(account_id=account.id, posted_at=moment, amount=-value, description="转账", counterparty=payee.name)
    )
    session.flush()
    record.number = f"T{record.id:08d}"
    tail = card_tail(account.card_number)
    audit.record(
        session,
        "transfer",
        sender_id,
        customer_id,
        at=moment,
        number=record.number,
        recipient=payee.name,
        amount=value,
        source_card_tail=tail,
        **movements.key_detail(idempotency_key),
    )
    session.flush()
    return TransferView(
        number=record.number,
        recipient=payee.name,
        bank=payee.bank,
        recipient_account_tail=payee.account_tail,
        amount=value,
        source_card_tail=tail,
        balance_after=account.balance,
        remaining_daily_limit=remaining_limit - value,
        created_at=moment,
    )
