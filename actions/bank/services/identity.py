"""Customer lookup and one-time codes that resist guessing.

A code is kept only as a salted HMAC-SHA256 hash and is valid for 5 minutes, once. With
``OTP_HASH_SECRET`` set, the secret is part of the key, so a copy of the database alone is not
enough to try the million codes offline. Guessing is
limited per phone number across all conversations, not only per conversation: after
``MAX_FAILURES`` wrong codes within ``FAILURE_WINDOW`` the phone's codes are refused for
``LOCK_TIME``. A phone gets at most ``MAX_CODES_PER_HOUR`` codes in any hour. Times come from
the bank clock (or ``now``), so tests move them virtually.

A step may be replayed (HAProxy re-sends an action call whose answer was lost; a client re-sends a
message): given a ``request`` key, naming the customer's message, a replay does what the first call
did and no more. Issuing again finds the first code if it was sent and is still usable, and issues
nothing; checking again returns the first outcome, using up and counting nothing.
"""

import hashlib
import hmac
import math
import os
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.clock import now as bank_now
from actions.bank.errors import CustomerNotFound
from actions.bank.models import Customer, OtpCode, OtpFailure, VerificationRequest
from actions.bank.money import mask_phone, normalize_phone
from actions.bank.services import lookup
from actions.bank.views import CustomerView

OTP_VALIDITY = timedelta(minutes=5)
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
LOCK_TIME = timedelta(minutes=30)
MAX_CODES_PER_HOUR = 5
CODE_WINDOW = timedelta(hours=1)


class OtpRefused(Exception):
    """No code now for this phone; ``minutes`` until it may ask or try again."""

    def __init__(self, minutes: int):
        super().__init__(f"{type(self).__name__}: retry in {minutes} min")
        self.minutes = minutes


class PhoneLocked(OtpRefused):
    """Too many wrong codes for this phone, from any conversation."""


class TooManyCodes(OtpRefused):
    """The phone has had its codes for this hour."""


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


OTP_SECRET_ENV = "OTP_HASH_SECRET"


def _hash(code: str, salt: str) -> str:
    key = os.environ.get(OTP_SECRET_ENV, "").encode() + bytes.fromhex(salt)
    return hmac.new(key, code.encode(), hashlib.sha256).hexdigest()


def _minutes_until(moment: datetime, until: datetime) -> int:
    return max(1, math.ceil((until - moment).total_seconds() / 60))


def issue_otp(
    session: Session, phone: str, sender_id: str, now: datetime | None = None, request: str | None = None
) -> str | None:
    """A new 6-digit code for this phone and conversation; only its hash is stored.

    The caller sends the returned code (actions.bank.sms), then calls ``code_sent``. None for a replay
    of ``request`` whose code was sent and is still usable: the customer has it, nothing is to be sent.
    Raises PhoneLocked or TooManyCodes."""
    moment, phone = now or bank_now(), normalize_phone(phone)
    code, salt = f"{secrets.randbelow(1_000_000):06d}", secrets.token_hex(16)
    _serialise_phone(session, phone)
    new = OtpCode(
        phone=phone,
        sender_id=sender_id,
        salt=salt,
        code_hash=_hash(code, salt),
        created_at=moment,
        expires_at=moment + OTP_VALIDITY,
    )
    session.add(new)
    session.flush()
    earlier = _request(session, request)
    if earlier is not None and earlier.sent_at is not None and _usable(session, earlier.code_id, moment, besides=new):
        _withdraw(session, new)
        return None
    try:
        _refuse_if_locked(session, phone, moment)
        issued = list(
            session.scalars(
                select(OtpCode.created_at)
                .where(OtpCode.phone == phone, OtpCode.created_at > moment - CODE_WINDOW)
                .order_by(OtpCode.created_at)
            )
        )
        if len(issued) > MAX_CODES_PER_HOUR:  # this one included
            raise TooManyCodes(_minutes_until(moment, issued[-MAX_CODES_PER_HOUR - 1] + CODE_WINDOW))
    except OtpRefused:
        _withdraw(session, new)
        raise
    if earlier is not None:  # the first call's code never reached the customer (or no longer counts)
        earlier.code_id, earlier.sent_at = new.id, None
    elif request is not None:
        session.add(VerificationRequest(key=request, code_id=new.id, created_at=moment))
    session.flush()
    return code


def code_sent(session: Session, request: str | None, now: datetime | None = None) -> None:
    """The SMS gateway took the code issued for ``request``: a replay of it issues no other."""
    earlier = _request(session, request)
    if earlier is not None:
        earlier.sent_at = now or bank_now()


def _request(session: Session, key: str | None) -> VerificationRequest | None:
    return None if key is None else session.scalar(select(VerificationRequest).where(VerificationRequest.key == key))


def _usable(session: Session, code_id: int | None, moment: datetime, besides: OtpCode) -> bool:
    """The code is unexpired and the one check_otp would take: its conversation's latest unused one."""
    code = session.get(OtpCode, code_id) if code_id is not None else None
    if code is None or moment > code.expires_at:
        return False
    return _latest_unused(session, code.phone, code.sender_id, besides=besides.id) == code


def check_otp(
    session: Session,
    phone: str,
    sender_id: str,
    code: str,
    now: datetime | None = None,
    request: str | None = None,
) -> bool:
    """True if ``code`` is this conversation's latest unused, unexpired code for the phone; it is then used up.

    A wrong code counts against the phone in every conversation (``locked_until`` tells whether it
    has just locked it). While the phone is locked, raises PhoneLocked without looking at the code.
    A replay of ``request`` gets the first call's answer, and uses up or counts nothing more."""
    moment, phone = now or bank_now(), normalize_phone(phone)
    _serialise_phone(session, phone)
    attempt = OtpFailure(phone=phone, sender_id=sender_id, at=moment)  # a failure unless the code is right
    session.add(attempt)
    session.flush()
    earlier = _request(session, request)
    if earlier is not None:
        _withdraw(session, attempt)
        return bool(earlier.verified)
    try:
        _refuse_if_locked(session, phone, moment, besides=attempt.id)
    except PhoneLocked:
        _withdraw(session, attempt)  # a guess while locked is not looked at, nor counted
        raise
    verified = _use_latest(session, phone, sender_id, code, moment)
    if verified:
        _withdraw(session, attempt)
    if request is not None:
        session.add(VerificationRequest(key=request, verified=verified, created_at=moment))
        session.flush()
    return verified


def _use_latest(session: Session, phone: str, sender_id: str, code: str, moment: datetime) -> bool:
    latest = _latest_unused(session, phone, sender_id)
    if latest is None or moment > latest.expires_at:
        return False
    if not hmac.compare_digest(_hash(str(code).strip(), latest.salt), latest.code_hash):
        return False
    latest.used_at = moment
    return True


def _latest_unused(session: Session, phone: str, sender_id: str, besides: int | None = None) -> OtpCode | None:
    query = select(OtpCode).where(OtpCode.phone == phone, OtpCode.sender_id == sender_id, OtpCode.used_at.is_(None))
    if besides is not None:
        query = query.where(OtpCode.id != besides)
    return session.scalar(query.order_by(OtpCode.created_at.desc(), OtpCode.id.desc()).limit(1))


def locked_until(
    session: Session, phone: str, now: datetime | None = None, besides: int | None = None
) -> datetime | None:
    """When the phone's lock ends, if it is locked: MAX_FAILURES wrong codes within FAILURE_WINDOW
    lock it for LOCK_TIME from the last of them."""
    moment, phone = now or bank_now(), normalize_phone(phone)
    query = select(OtpFailure.at).where(OtpFailure.phone == phone, OtpFailure.at > moment - FAILURE_WINDOW - LOCK_TIME)
    if besides is not None:
        query = query.where(OtpFailure.id != besides)
    failures = list(session.scalars(query.order_by(OtpFailure.at)))
    ends = [
        last + LOCK_TIME
        for first, last in zip(failures, failures[MAX_FAILURES - 1 :], strict=False)
        if last - first <= FAILURE_WINDOW and moment < last + LOCK_TIME
    ]
    return max(ends, default=None)


def minutes_locked(session: Session, phone: str, now: datetime | None = None) -> int | None:
    """Whole minutes (rounded up) until the phone's lock ends, or None if it is not locked."""
    moment = now or bank_now()
    until = locked_until(session, phone, moment)
    return None if until is None else _minutes_until(moment, until)


def _refuse_if_locked(session: Session, phone: str, moment: datetime, besides: int | None = None) -> None:
    until = locked_until(session, phone, moment, besides)
    if until is not None:
        raise PhoneLocked(_minutes_until(moment, until))


def _serialise_phone(session: Session, phone: str) -> None:
    """Take one phone's codes one request at a time, so that parallel guesses cannot each find the
    limit not yet reached: PostgreSQL locks the customer's row; on SQLite the caller's first write
    (which follows) takes the database's write lock before the counts are read."""
    session.execute(select(Customer.id).where(Customer.phone == phone).with_for_update())


def _withdraw(session: Session, row: OtpCode | OtpFailure) -> None:
    """Undo a row written first only to take the write lock (the caller may commit what else it did)."""
    session.delete(row)
    session.flush()
