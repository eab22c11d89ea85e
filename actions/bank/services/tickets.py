"""Hand-off tickets for human agents."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import InvalidInput
from actions.bank.models import CallbackRequest, HandoffTicket, TicketResolution
from actions.bank.money import mask_phone, normalize_phone, scrub_digits
from actions.bank.services import audit
from actions.bank.views import TicketView

PRIORITIES = ("normal", "urgent")
MAX_SUMMARY = 2000
MAX_NOTE = 500
RESOLUTIONS = ("given_back", "closed")


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


def _open_ticket(session: Session, sender_id: str) -> HandoffTicket | None:
    return session.scalar(
        select(HandoffTicket)
        .where(HandoffTicket.sender_id == sender_id, HandoffTicket.status == "open")
        .order_by(HandoffTicket.id.desc())
        .limit(1)
    )


def open_ticket_number(session: Session, sender_id: str) -> str | None:
    """The conversation's ticket still waiting for an agent, if any."""
    ticket = _open_ticket(session, sender_id)
    return ticket.number if ticket is not None else None


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


def request_callback(
    session: Session,
    sender_id: str,
    customer_id: int | None,
    phone: str,
    summary: str,
    priority: str = "normal",
    now: datetime | None = None,
) -> str:
    """A ticket for an agent to call the customer back at ``phone``; its number. The number is kept
    whole only in the call-back row (the agent has to dial it); the summary and audit mask it."""
    number = normalize_phone(phone)
    ticket_number = create_ticket(session, sender_id, customer_id, summary, priority, now)
    ticket = session.scalar(select(HandoffTicket).where(HandoffTicket.number == ticket_number))
    session.add(CallbackRequest(ticket_id=ticket.id, phone=number, created_at=ticket.created_at))
    audit.record(
        session, "request_callback", sender_id, customer_id, at=ticket.created_at,
        number=ticket_number, phone=mask_phone(number),
    )  # fmt: skip
    session.flush()
    return ticket_number


def resolve_ticket(
    session: Session, sender_id: str, agent: str, how: str, note: str = "", now: datetime | None = None
) -> str | None:
    """Closes the conversation's open ticket with how it ended and the agent's note; its number,
    or None when the conversation has no open ticket."""
    if how not in RESOLUTIONS:
        raise InvalidInput("invalid_resolution", how=how)
    ticket = _open_ticket(session, sender_id)
    if ticket is None:
        return None
    moment = now or bank_now()
    ticket.status = "closed"
    text = scrub_digits((note or "").strip())[:MAX_NOTE]
    session.add(TicketResolution(ticket_id=ticket.id, agent=agent[:64], how=how, note=text, at=moment))
    audit.record(session, "resolve_ticket", sender_id, ticket.customer_id, at=moment, number=ticket.number, how=how)
    session.flush()
    return ticket.number


def pending_callbacks(session: Session, limit: int = 50) -> list[tuple[HandoffTicket, CallbackRequest]]:
    """Customers still to be called back, urgent first, then oldest: the ticket and its number."""
    rows = session.execute(
        select(HandoffTicket, CallbackRequest)
        .join(CallbackRequest, CallbackRequest.ticket_id == HandoffTicket.id)
        .where(CallbackRequest.status == "pending")
        .order_by(HandoffTicket.priority.desc(), CallbackRequest.created_at)  # "urgent" > "normal"
        .limit(limit)
    )
    return [(ticket, callback) for ticket, callback in rows]


def callback_done(session: Session, number: str, agent: str, note: str, now: datetime | None = None) -> None:
    """The customer of ticket ``number`` was called back: the call-back is done, the ticket closed."""
    found = session.execute(
        select(HandoffTicket, CallbackRequest)
        .join(CallbackRequest, CallbackRequest.ticket_id == HandoffTicket.id)
        .where(HandoffTicket.number == number)
    ).first()
    if found is None:
        raise InvalidInput("unknown_callback", number=number)
    ticket, callback = found
    moment = now or bank_now()
    callback.status = "done"
    ticket.status = "closed"
    text = scrub_digits((note or "").strip())[:MAX_NOTE]
    session.add(TicketResolution(ticket_id=ticket.id, agent=agent[:64], how="closed", note=text, at=moment))
    audit.record(session, "callback_done", ticket.sender_id, ticket.customer_id, at=moment, number=number)
    session.flush()
