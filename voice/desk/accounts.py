"""Staff accounts for the agent desk: argon2 password hashes, lockout after repeated failures, and
sign-in sessions, in their own database (STAFF_DB_URL; SQLite var/staff.db by default).

A session token is given to the browser once and kept here only as its SHA-256, so the table alone
does not let anyone in. Times are seconds since the epoch on ``clock``, so tests can move it."""

import hashlib
import math
import os
import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, List, NoReturn, Optional, Tuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import (
    CheckConstraint,
    Column,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

REPO_ROOT = Path(__file__).resolve().parents[2]
ROLES = ("agent", "editor", "admin")
USERNAME = re.compile(r"[a-z0-9_.-]{3,32}")
MIN_PASSWORD = 10
MAX_PASSWORD = 256
MAX_FAILURES = 5
LOCK_S = 15 * 60
SESSION_IDLE_S = 8 * 3600
TOUCH_EVERY_S = 60  # a session's expiry moves on at most once a minute: not one write per request
MAX_UNKNOWN_TRACKED = 10_000

metadata = MetaData()
staff_table = Table(
    "staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("username", String(32), nullable=False, unique=True),
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("failed_logins", Integer, nullable=False, default=0),
    Column("locked_until", Float, nullable=True),
    Column("created_at", Float, nullable=False),
    CheckConstraint(f"role IN ({', '.join(repr(role) for role in ROLES)})", name="staff_role"),
)
sessions_table = Table(
    "staff_sessions",
    metadata,
    Column("token_sha256", String(64), primary_key=True),
    Column("username", String(32), ForeignKey("staff.username", ondelete="CASCADE"), nullable=False, index=True),
    Column("csrf", String(64), nullable=False),
    Column("expires_at", Float, nullable=False, index=True),
    Column("last_seen", Float, nullable=False),
)


class StaffError(ValueError):
    """An account that cannot be added; ``code`` names the rule for pages to word it."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class LoginRefused(Exception):
    def __init__(self, reason: str, retry_after: int = 0) -> None:
        super().__init__(reason)
        self.reason = reason  # "wrong" | "locked"
        self.retry_after = retry_after  # seconds until a locked account may try again


@dataclass(frozen=True)
class Staff:
    username: str
    name: str
    role: str

    def may(self, role: str) -> bool:
        """Admins may do everything; everyone else only what their own role is for."""
        return self.role == "admin" or self.role == role


@dataclass(frozen=True)
class StaffSession:
    staff: Staff
    csrf: str
    expires_at: float


def default_url() -> str:
    return os.environ.get("STAFF_DB_URL") or f"sqlite:///{REPO_ROOT / 'var' / 'staff.db'}"


def normalize(username: str) -> str:
    return username.strip().lower()


def check_username_and_role(username: str, role: str) -> str:
    """The username as kept (lowercase), or StaffError if it or the role cannot be."""
    username = normalize(username)
    if not USERNAME.fullmatch(username):
        raise StaffError("bad_username", "username must be 3-32 characters: lowercase letters, digits, _ . -")
    if role not in ROLES:
        raise StaffError("bad_role", f"unknown role {role!r}: expected one of {', '.join(ROLES)}")
    return username


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffStore:
    def __init__(
        self, url: Optional[str] = None, clock: Callable[[], float] = time.time, hasher: Optional[PasswordHasher] = None
    ) -> None:
        self.url = url or default_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(self.url, future=True)
        metadata.create_all(self.engine)
        self.clock = clock
        self.hasher = hasher or PasswordHasher()
        self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        # Failures against names that are no account lock them too, so the answers never tell which exist.
        self._unknown: OrderedDict[str, Tuple[int, float]] = OrderedDict()
        self._unknown_lock = threading.Lock()

    def add(self, username: str, password: str, role: str, name: Optional[str] = None) -> Staff:
        username = check_username_and_role(username, role)
        if len(password) < MIN_PASSWORD:
            raise StaffError("short_password", f"password must be at least {MIN_PASSWORD} characters")
        if len(password) > MAX_PASSWORD:
            raise StaffError("long_password", f"password must be at most {MAX_PASSWORD} characters")
        if password.casefold() == username:
            raise StaffError("password_is_username", "password must not be the username")
        name = (name or "").strip() or username
        if len(name) > 64:
            raise StaffError("long_name", "name must be at most 64 characters")
        exists = StaffError("exists", f"staff {username} already exists")
        with self.engine.connect() as db:
            if db.execute(select(staff_table.c.id).where(staff_table.c.username == username)).first():
                raise exists
        row = {
            "username": username, "name": name, "role": role, "password_hash": self.hasher.hash(password),
            "failed_logins": 0, "created_at": self.clock(),
        }  # fmt: skip
        try:
            with self.engine.begin() as db:
                db.execute(staff_table.insert().values(**row))
        except IntegrityError:  # added by someone else at the same moment
            raise exists from None
        return Staff(username, name, role)

    def check_login(self, username: str, password: str) -> Staff:
        """The account if the password is right; else LoginRefused, the same for a name that is no account."""
        username, now = normalize(username), self.clock()
        with self.engine.connect() as db:
            row = None
            if USERNAME.fullmatch(username):
                query = select(staff_table).where(staff_table.c.username == username)
                row = db.execute(query).mappings().first()
        if row is None:
            self._refuse_unknown(username, password, now)
        if row["locked_until"] is not None and row["locked_until"] > now:
            raise LoginRefused("locked", math.ceil(row["locked_until"] - now))
        if not self._verify(row["password_hash"], password):
            self._count_failure(username, now)
        changes: dict = {}
        if row["failed_logins"] or row["locked_until"] is not None:
            changes.update(failed_logins=0, locked_until=None)
        if self._needs_rehash(row["password_hash"]):
            changes["password_hash"] = self.hasher.hash(password)
        if changes:
            with self.engine.begin() as db:
                db.execute(update(staff_table).where(staff_table.c.username == username).values(**changes))
        return Staff(row["username"], row["name"], row["role"])

    def start_session(self, staff: Staff) -> Tuple[str, str]:
        """A new session's token (for the cookie) and CSRF token (for the page's requests)."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), self.clock()
        with self.engine.begin() as db:
            db.execute(delete(sessions_table).where(sessions_table.c.expires_at <= now))
            db.execute(
                sessions_table.insert().values(
                    token_sha256=_digest(token), username=staff.username, csrf=csrf,
                    expires_at=now + SESSION_IDLE_S, last_seen=now,
                )
            )  # fmt: skip
        return token, csrf

    def session(self, token: Optional[str]) -> Optional[StaffSession]:
        """The signed-in staff member of ``token`` (its expiry moved on), or None if unknown or expired."""
        if not token:
            return None
        now, key = self.clock(), _digest(token)
        query = (
            select(sessions_table, staff_table.c.name, staff_table.c.role)
            .join(staff_table, staff_table.c.username == sessions_table.c.username)
            .where(sessions_table.c.token_sha256 == key)
        )
        with self.engine.begin() as db:
            row = db.execute(query).mappings().first()
            if row is None:
                return None
            if row["expires_at"] <= now:
                db.execute(delete(sessions_table).where(sessions_table.c.token_sha256 == key))
                return None
            expires_at = row["expires_at"]
            if now - row["last_seen"] >= TOUCH_EVERY_S:
                expires_at = now + SESSION_IDLE_S
                touch = update(sessions_table).where(sessions_table.c.token_sha256 == key)
                db.execute(touch.values(last_seen=now, expires_at=expires_at))
        return StaffSession(Staff(row["username"], row["name"], row["role"]), row["csrf"], expires_at)

    def end_session(self, token: Optional[str]) -> None:
        if token:
            with self.engine.begin() as db:
                db.execute(delete(sessions_table).where(sessions_table.c.token_sha256 == _digest(token)))

    def list_staff(self) -> List[Staff]:
        query = select(staff_table.c.username, staff_table.c.name, staff_table.c.role).order_by(staff_table.c.username)
        with self.engine.connect() as db:
            return [Staff(*row) for row in db.execute(query)]

    def _verify(self, password_hash: str, password: str) -> bool:
        try:
            return self.hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _needs_rehash(self, password_hash: str) -> bool:
        try:
            return self.hasher.check_needs_rehash(password_hash)
        except InvalidHashError:
            return True

    def _count_failure(self, username: str, now: float) -> NoReturn:
        """One more failure; the fifth in a row locks the account (and starts the count again)."""
        with self.engine.begin() as db:
            where = staff_table.c.username == username
            db.execute(update(staff_table).where(where).values(failed_logins=staff_table.c.failed_logins + 1))
            locks = db.execute(select(staff_table.c.failed_logins).where(where)).scalar_one() >= MAX_FAILURES
            if locks:
                db.execute(update(staff_table).where(where).values(failed_logins=0, locked_until=now + LOCK_S))
        raise LoginRefused("locked", LOCK_S) if locks else LoginRefused("wrong")

    def _refuse_unknown(self, username: str, password: str, now: float) -> NoReturn:
        key = _digest(username)
        with self._unknown_lock:
            failures, locked_until = self._unknown.get(key, (0, 0.0))
        if locked_until > now:
            raise LoginRefused("locked", math.ceil(locked_until - now))
        self._verify(self._dummy_hash, password)  # as long as a real account's check takes
        with self._unknown_lock:
            failures += 1
            self._unknown[key] = (0, now + LOCK_S) if failures >= MAX_FAILURES else (failures, 0.0)
            self._unknown.move_to_end(key)
            while len(self._unknown) > MAX_UNKNOWN_TRACKED:
                self._unknown.popitem(last=False)
        if failures >= MAX_FAILURES:
            raise LoginRefused("locked", LOCK_S)
        raise LoginRefused("wrong")
