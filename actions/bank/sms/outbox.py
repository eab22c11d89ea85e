"""The demo's phone: messages are written to the ``sms_outbox`` table instead of being sent."""

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.db import session_scope
from actions.bank.models import SmsOutboxMessage
from actions.bank.money import mask_phone, normalize_phone
from actions.bank.views import SmsView

_CODE = re.compile(r"\d{6}")


class DemoOutbox:
    demo = True

    def __init__(self, url: str | None = None):
        self.url = url  # None: the bank database (BANK_DATABASE_URL)

    def send(self, phone: str, text: str, conversation: str | None = None) -> None:
        with session_scope(self.url) as session:
            session.add(SmsOutboxMessage(phone=normalize_phone(phone), text=text, conversation=conversation))


def recent_messages(
    session: Session, phone: str | None = None, conversation: str | None = None, limit: int = 10
) -> list[SmsView]:
    """The newest messages first, for one phone or conversation, or all."""
    query = select(SmsOutboxMessage).order_by(SmsOutboxMessage.created_at.desc(), SmsOutboxMessage.id.desc())
    if phone:
        query = query.where(SmsOutboxMessage.phone == normalize_phone(phone))
    if conversation:
        query = query.where(SmsOutboxMessage.conversation == conversation)
    return [
        SmsView(masked_phone=mask_phone(m.phone), text=m.text, conversation=m.conversation, created_at=m.created_at)
        for m in session.scalars(query.limit(limit))
    ]


def latest_code(session: Session, phone: str | None = None, conversation: str | None = None) -> str | None:
    """The code in the newest message, as the customer would read it off their phone."""
    found = recent_messages(session, phone, conversation, limit=1)
    code = _CODE.search(found[0].text) if found else None
    return code.group() if code else None
