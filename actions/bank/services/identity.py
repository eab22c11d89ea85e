"""Customer lookup and one-time codes sent through the demo SMS outbox."""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import CustomerNotFound
from actions.bank.models import Customer, OtpMessage
from actions.bank.money import mask_phone, normalize_phone
from actions.bank.services import lookup
from actions.bank.views import CustomerView, OtpView

OTP_VALIDITY = timedelta(minutes=5)


def find_customer_by_phone(session: Session, phone: str) -> CustomerView:
    """Raise InvalidInput for a malformed number, CustomerNotFound for an unknown one."""
    phone = normalize_phone(phone)
    customer = session.scalar(select(Customer).where(Customer.phone == phone))
    if customer is None:
        raise CustomerNotFound()
    return customer_view(customer)


def get_customer(session: Session, customer_id: int) -> CustomerView:
    return customer_view(lookup.customer(session, customer_id))


def customer_view(customer: Customer) -> CustomerView:
    return CustomerView(id=customer.id, name=customer.name, masked_phone=mask_phone(customer.phone))


def issue_otp(session: Session, phone: str, sender_id: str, now: datetime | None = None) -> str:
    """Create a 6-digit code for this phone and conversation and put it in the outbox."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    session.add(
        OtpMessage(
            phone=normalize_phone(phone), code=code, sender_id=sender_id, created_at=now or bank_now(), consumed=False
        )
    )
    session.flush()
    return code


def check_otp(session: Session, phone: str, sender_id: str, code: str, now: datetime | None = None) -> bool:
    """True if ``code`` matches the latest unused, unexpired code; that code is then used up."""
    moment = now or bank_now()
    latest = session.scalar(
        select(OtpMessage)
        .where(
            OtpMessage.phone == normalize_phone(phone),
            OtpMessage.sender_id == sender_id,
            OtpMessage.consumed.is_(False),
        )
        .order_by(OtpMessage.created_at.desc(), OtpMessage.id.desc())
        .limit(1)
    )
    if latest is None or moment - latest.created_at > OTP_VALIDITY:
        return False
    if not secrets.compare_digest(latest.code, str(code).strip()):
        return False
    latest.consumed = True
    session.flush()
    return True


def latest_otp(session: Session, phone: str | None = None) -> OtpView | None:
    """The newest outbox message (for one phone, or overall)."""
    found = recent_otps(session, phone, limit=1)
    return found[0] if found else None


def recent_otps(session: Session, phone: str | None = None, limit: int = 10) -> list[OtpView]:
    query = select(OtpMessage).order_by(OtpMessage.created_at.desc(), OtpMessage.id.desc())
    if phone:
        query = query.where(OtpMessage.phone == normalize_phone(phone))
    return [
        OtpView(
            masked_phone=mask_phone(m.phone),
            phone=m.phone,
            code=m.code,
            sender_id=m.sender_id,
            created_at=m.created_at,
            consumed=m.consumed,
        )
        for m in session.scalars(query.limit(limit))
    ]
