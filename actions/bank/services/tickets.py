"""Hand-off tickets for human agents."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import InvalidInput
from actions.bank.models import HandoffTicket
from actions.bank.money import scrub_digits
from actions.bank.services import audit
from actions.bank.views import TicketView

PRIORITIES = ("normal", "urgent")
MAX_SUMMARY = 2000


def create_ticket(
    session: Session,
    sender_id: str,
    customer_id: int | None,
    summary: str,
    priority: str = "normal",
    now: datetime | None = None,
) -> str:
    """Open a ticket and return its number (``H000123``). Long digit runs in the summary are masked."""
    if priority not in PRIORITIES:
        raise InvalidInput("invalid_priority", priority=priority)
    text = scrub_digits((summary or "").strip())[:MAX_SUMMARY] or "客户请求人工服务"
    moment = now or bank_now()
    ticket = HandoffTicket(
        sender_id=sender_id, customer_id=customer_id, priority=priority, summary=text, status="open", created_at=moment
    )
    session.add(ticket)
    session.flush()
    ticket.number = f"H{ticket.id:06d}"
    audit.record(session, "create_ticket", sender_id, customer_id, at=moment, number=ticket.number, priority=priority)
    session.flush()
    return ticket.number


def open_ticket_number(session: Session, sender_id: str) -> str | None:
    """The conversation's ticket still waiting for an agent, if any."""
    return session.scalar(
        select(HandoffTicket.number)
        .where(HandoffTicket.sender_id == sender_id, HandoffTicket.status == "open")
        .order_by(HandoffTicket.id.desc())
        .limit(1)
    )


def list_tickets(session: Session, status: str | None = None, limit: int = 20) -> list[TicketView]:
    """Newest tickets first."""
    query = select(HandoffTicket).order_by(HandoffTicket.id.desc()).limit(limit)
    if status:
        query = query.where(HandoffTicket.status == status)
    return [
        TicketView(
            number=t.number,
            sender_id=t.sender_id,
            customer_id=t.customer_id,
            priority=t.priority,
            summary=t.summary,
            status=t.status,
            created_at=t.created_at,
        )
        for t in session.scalars(query)
    ]
