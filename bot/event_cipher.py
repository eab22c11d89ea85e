"""Encryption of conversation events at rest: what customers typed (phone numbers, one-time codes) and
the slots filled from it are in those events, and Rasa rebuilds each conversation from them, so they
cannot be masked; they are encrypted instead. Fernet (from ``cryptography``): AES-128-CBC with an
HMAC-SHA256 tag, so a changed or truncated row is refused rather than misread.

The key: ``TRACKER_ENCRYPTION_KEY`` (one or more Fernet keys, comma-separated: the first encrypts, all
decrypt, so a key can be rotated), else the file var/tracker.key, made on first use (mode 0600). Every
process reading the tracker store (Rasa replicas, the staff console) must have the same key; a real
deployment sets the variable from its secret store and keeps the key away from the database's backups.
"""

import contextlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from bot.processes import REPO_ROOT

KEY_ENV = "TRACKER_ENCRYPTION_KEY"
KEY_FILE = REPO_ROOT / "var" / "tracker.key"
_CLEAR_JSON = "{"  # an event stored before encryption was on; a Fernet token starts with "gAAAAA"


class EventCipherError(RuntimeError):
    """A key that is not a Fernet key, or a stored event the keys cannot decrypt. Not a ValueError:
    Rasa's SQL tracker store takes any ValueError in a session for a missing schema and exits."""


class EventCipher:
    def __init__(self, keys: Sequence[bytes | str]) -> None:
        if not keys:
            raise EventCipherError(f"{KEY_ENV} names no key")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError:
            raise EventCipherError(
                f"{KEY_ENV} or {KEY_FILE.name}: not a Fernet key (32 bytes, URL-safe base64; make one with "
                "`python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'`)"
            ) from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ, key_file: Path = KEY_FILE) -> "EventCipher":
        given = environ.get(KEY_ENV, "").strip()
        if given:
            return cls([key.strip() for key in given.split(",") if key.strip()])
        return cls([_key_from_file(key_file)])

    @staticmethod
    def is_clear(stored: str) -> bool:
        """Whether ``stored`` is an event's JSON as it is, not encrypted."""
        return stored.startswith(_CLEAR_JSON)

    def encrypt(self, data: str) -> str:
        return self._fernet.encrypt(data.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        """The event's JSON; an event stored in the clear (before encryption was on) as it is."""
        if self.is_clear(stored):
            return stored
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise EventCipherError(
                f"a stored conversation event cannot be decrypted with the key in {KEY_ENV} or "
                f"{KEY_FILE.name}: a different key, or the row was changed"
            ) from None

    def reencrypt(self, stored: str) -> str:
        """``stored`` encrypted with the first (current) key: for rotating keys and for encrypting
        events stored in the clear."""
        return self.encrypt(self.decrypt(stored))


def _key_from_file(path: Path) -> bytes:
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole under another name and linked into place: a process starting at the same moment
    # either finds no key file or the whole key, and both end up with the same key.
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tracker-key-", delete=True) as draft:
        os.chmod(draft.name, 0o600)
        draft.write(Fernet.generate_key())
        draft.flush()
        with contextlib.suppress(FileExistsError):
            os.link(draft.name, path)
    return path.read_bytes().strip()
