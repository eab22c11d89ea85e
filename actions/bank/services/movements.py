"""Money moves at most once: every confirmed movement carries an idempotency key.

A service given a key first looks for a movement with that key: if there is one, it returns that
movement's receipt and changes nothing. Otherwise it claims the key (a row in ``money_movements``,
unique on the key) before touching any balance, makes the change and stores the receipt with the
claim, all in the caller's one transaction.

Two transactions with the same key at once: the database lets only one claim stand. The other
insert fails (PostgreSQL waits for the first to commit; SQLite waits for its write lock), its
transaction rolls back with everything it did, and ``at_most_once`` runs the work again in a new
transaction, which now finds the winner's receipt.
"""

import dataclasses
import json
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from pydantic import parse_obj_as
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from actions.bank import db
from actions.bank.clock import now as bank_now
from actions.bank.errors import BankError
from actions.bank.models import MoneyMovement
from actions.bank.services import lookup

Receipt = TypeVar("Receipt")


class KeyReused(ValueError):
    """The key belongs to a movement of another kind or customer: a caller's bug, never a customer's."""


def once(
    session: Session,
    key: str | None,
    kind: str,
    customer_id: int,
    receipt_type: type[Receipt],
    move: Callable[[], Receipt],
    now: datetime | None = None,
) -> Receipt:
    """``move()`` once per ``key``; a repeat returns the first receipt. No key: just ``move()``."""
    if key is None:
        return move()
    lookup.customer(session, customer_id)
    earlier = session.scalar(select(MoneyMovement).where(MoneyMovement.key == key))
    if earlier is not None:
        return _earlier_receipt(earlier, kind, customer_id, receipt_type)
    claim = MoneyMovement(key=key, kind=kind, customer_id=customer_id, created_at=now or bank_now())
    session.add(claim)
    session.flush()  # a concurrent duplicate's claim fails here, before any balance changes
    try:
        receipt = move()
    except BankError:
        session.delete(claim)  # refused: nothing moved, and asking again is asking anew
        session.flush()
        raise
    claim.receipt = json.dumps(dataclasses.asdict(receipt), ensure_ascii=False, default=str)  # type: ignore[call-overload]
    session.flush()
    return receipt


def _earlier_receipt(earlier: MoneyMovement, kind: str, customer_id: int, receipt_type: type[Receipt]) -> Receipt:
    if earlier.kind != kind or earlier.customer_id != customer_id:
        raise KeyReused(
            f"idempotency key {earlier.key!r} was used for {earlier.kind} of customer {earlier.customer_id}"
        )
    return parse_obj_as(receipt_type, json.loads(earlier.receipt))


def key_detail(key: str | None) -> dict[str, str]:
    """The key for the movement's audit record, which thus carries it too."""
    return {"idempotency_key": key} if key else {}


def at_most_once(work: Callable[[Session], Receipt], url: str | None = None) -> Receipt:
    """``work(session)`` in one transaction; if a concurrent duplicate's claim won, once more in a new one.

    ``work`` must pass its key to a service that uses ``once``; the second run then returns the receipt."""
    try:
        with db.session_scope(url) as session:
            return work(session)
    except IntegrityError as error:
        if not _lost_the_claim(error):
            raise
    with db.session_scope(url) as session:
        return work(session)


def _lost_the_claim(error: IntegrityError) -> bool:
    message = str(error.orig).lower()
    return MoneyMovement.__tablename__ in message and "unique" in message
