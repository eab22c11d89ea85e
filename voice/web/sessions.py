"""Conversation ids the server issues: random, 192 bits, kept by the browser in an HttpOnly,
SameSite=Strict cookie signed with the server's key, so a client can neither choose one nor
switch to another's (the id alone, as the tracker store holds it, is not a cookie)."""

import base64
import hashlib
import hmac
import secrets
import time
from pathlib import Path
from typing import Callable, Optional, Tuple

COOKIE = "sid"
MAX_AGE_S = 12 * 3600
KEY_BYTES = 32


def load_key(path: Path) -> bytes:
    """The signing key kept in ``path`` (made on first use, readable by its owner only)."""
    if path.exists():
        key = path.read_bytes()
        if len(key) >= KEY_BYTES:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    path.touch(mode=0o600)
    path.write_bytes(key)
    return key


class SessionCookies:
    def __init__(self, key: bytes, clock: Callable[[], float] = time.time, max_age_s: int = MAX_AGE_S) -> None:
        self.key, self.clock, self.max_age_s = key, clock, max_age_s

    def issue(self, session_id: Optional[str] = None) -> Tuple[str, str]:
        """A new session (or ``session_id`` renewed): its id and the cookie value that proves it."""
        session_id = session_id or secrets.token_urlsafe(24)
        issued = str(int(self.clock()))
        return session_id, f"{session_id}.{issued}.{self._sign(session_id, issued)}"

    def verify(self, value: Optional[str]) -> Optional[str]:
        """The session id of a cookie this server issued and that has not expired, else None."""
        session_id, issued, signature = (value or "").rsplit(".", 2) if (value or "").count(".") >= 2 else ("", "", "")
        if not session_id or not issued.isdigit():
            return None
        if not hmac.compare_digest(signature, self._sign(session_id, issued)):
            return None
        if not 0 <= self.clock() - int(issued) <= self.max_age_s:
            return None
        return session_id

    def _sign(self, session_id: str, issued: str) -> str:
        digest = hmac.new(self.key, f"{session_id}.{issued}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
