"""Audit trail: one row per state change, written in the caller's transaction."""

import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now
from actions.bank.models import AuditLog


def _jsonable(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def record(
    session: Session, action: str, sender_id: str | None, customer_id: int | None, at: datetime | None = None, **detail
) -> AuditLog:
    """Add an audit row. Pass card tails, never full numbers, in ``detail``."""
    entry = AuditLog(
        at=at or now(),
        action=action,
        sender_id=sender_id,
        customer_id=customer_id,
        detail=json.dumps(detail, ensure_ascii=False, default=_jsonable, sort_keys=True),
    )
    session.add(entry)
    return entry


def entries(session: Session, customer_id: int | None = None, action: str | None = None):
    """Audit rows, oldest first, as (at, action, sender_id, customer_id, detail dict)."""
    query = select(AuditLog).order_by(AuditLog.id)
    if customer_id is not None:
        query = query.where(AuditLog.customer_id == customer_id)
    if action is not None:
        query = query.where(AuditLog.action == action)
    return [
        (row.at, row.action, row.sender_id, row.customer_id, json.loads(row.detail)) for row in session.scalars(query)
    ]
