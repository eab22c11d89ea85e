"""A search of what the test suite leaves at rest for personal numbers in the clear: full card
numbers (Luhn-valid, 16 to 19 digits, or the demo bank's own), mainland mobile numbers, 18-digit
ID numbers and the one-time codes the bank sent during the run.

What is searched: every SQLite database (tracker stores' events, call records, the bank's tickets,
resolutions and audit log, staff and console stores), log files and text files (JSON, JSONL, CSV,
transcripts). Not searched: the bank's own tables of customers, cards and accounts, call-backs and
its outbox of codes, where the numbers belong (the bank keeps them; see BANK_OWN_TABLES)."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

# where the numbers are the bank's business: its customers, cards and accounts, payees, the
# numbers to call back, and the codes it sends (the demo's stand-in for an SMS gateway)
BANK_OWN_TABLES = frozenset(
    {
        "customers",
        "accounts",
        "credit_lines",
        "payees",
        "callback_requests",
        "otp_messages",
        "otp_codes",
        "otp_failures",
        "sms_outbox",
        "transfers",
        "transactions",
        "loans",
        "loan_applications",
        "bills",
        "installment_plans",
        "money_movements",
    }
)
TEXT_SUFFIXES = {".log", ".json", ".jsonl", ".txt", ".csv", ".yml", ".yaml", ".md", ".html"}
DATABASE_SUFFIXES = {".db", ".sqlite", ".sqlite3"}
MAX_FILE_BYTES = 50 * 1024 * 1024
_ALNUM = "0-9A-Za-z"
_DIGITS = re.compile(rf"(?<![{_ALNUM}.])\d{{11,19}}(?![{_ALNUM}])")
_ID_NUMBER = re.compile(rf"(?<![{_ALNUM}.])\d{{17}}[\dXx](?![{_ALNUM}])")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_CODE = re.compile(r"(?<!\d)(\d{6})(?!\d)")
# a whole value that is a Fernet token (bot/event_cipher.py): ciphertext, whose base64 has runs of
# digits that may equal a code sent during the run by chance
_CIPHERTEXT = re.compile(r"gAAAAA[0-9A-Za-z_-]+={0,2}")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECKS = "10X98765432"


@dataclass(frozen=True)
class Finding:
    where: str  # a file, or file:table.column
    kind: str  # card | phone | id_number | code
    number: str
    context: str

    def __str__(self) -> str:
        return f"{self.where}: {self.kind} {self.number} in …{self.context}…"


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def id_number_valid(number: str) -> bool:
    """The check character of a mainland resident ID number (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(number[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECKS[total % 11] == number[17].upper()


class Scanner:
    def __init__(self, cards: Iterable[str] = (), codes: Iterable[str] = (), public: Iterable[str] = ()) -> None:
        self.cards = frozenset(cards)  # the bank's card numbers, Luhn-valid or not
        self.codes = frozenset(codes)  # one-time codes the bank sent
        self.public = frozenset(public)  # examples in the bot's own published wording (比如13812345678)

    def numbers_in(self, text: str) -> Iterator[tuple[str, str, int]]:
        """(kind, number, where) of each personal number in ``text``."""
        for match in _DIGITS.finditer(text):
            number = match.group()
            if number in self.public:
                continue
            if len(number) == 11 and _PHONE.match(number):
                yield "phone", number, match.start()
            elif number in self.cards or (len(number) >= 16 and luhn_valid(number)):
                yield "card", number, match.start()
        for match in _ID_NUMBER.finditer(text):
            if id_number_valid(match.group()):
                yield "id_number", match.group(), match.start()
        if self.codes:
            for match in _CODE.finditer(text):
                if match.group(1) in self.codes and match.group(1) not in self.public:
                    yield "code", match.group(1), match.start()

    def scan_text(self, where: str, text: str) -> list[Finding]:
        text = _unescaped(text)
        return [
            Finding(where, kind, number, text[max(0, at - 30) : at + len(number) + 30].replace("\n", " "))
            for kind, number, at in self.numbers_in(text)
        ]

    def scan_file(self, path: Path) -> list[Finding]:
        if path.stat().st_size > MAX_FILE_BYTES:
            return []
        if path.suffix in DATABASE_SUFFIXES or _is_sqlite(path):
            return self.scan_database(path)
        if path.suffix in TEXT_SUFFIXES:
            return self.scan_text(str(path), path.read_text("utf-8", errors="replace"))
        return []

    def scan_database(self, path: Path) -> list[Finding]:
        findings: list[Finding] = []
        try:
            connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        except sqlite3.Error:
            return findings
        try:
            for table in _tables(connection):
                if table in BANK_OWN_TABLES and _is_bank(connection):
                    continue
                for column, text in _texts(connection, table):
                    findings += self.scan_text(f"{path}:{table}.{column}", text)
        except sqlite3.Error:
            pass  # not a database after all, or one being written: nothing to read
        finally:
            connection.close()
        return findings

    def scan_tree(self, root: Path, newer_than: float | None = None) -> list[Finding]:
        findings: list[Finding] = []
        for path in sorted(root.rglob("*")):
            try:
                if not path.is_file() or path.is_symlink():
                    continue
                if newer_than is not None and path.stat().st_mtime < newer_than:
                    continue
                findings += self.scan_file(path)
            except OSError:
                continue  # gone while we looked
        return findings


def published_numbers(files: Iterable[Path]) -> set[str]:
    """The numbers the project's own texts print: the bot's wording (examples of the format asked
    for, 比如13812345678) and its training data (copied by the editing tests), not anyone's."""
    found: set[str] = set()
    for path in files:
        text = path.read_text("utf-8", errors="replace")
        found |= {m.group() for m in _DIGITS.finditer(text)} | set(_CODE.findall(text))
    return found


def bank_numbers(roots: Iterable[Path], leave_out: str | None = None) -> tuple[set[str], set[str]]:
    """The card numbers and the one-time codes in the bank databases under ``roots`` (but not in
    a path containing ``leave_out``)."""
    cards: set[str] = set()
    codes: set[str] = set()
    for root in roots:
        for path in root.rglob("*.db"):
            if leave_out and leave_out in str(path):
                continue
            try:
                connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            except sqlite3.Error:
                continue
            try:
                if not _is_bank(connection):
                    continue
                tables = set(_tables(connection))
                for table in ("accounts", "credit_lines"):
                    cards |= {row[0] for row in connection.execute(f"SELECT card_number FROM {table}") if row[0]}
                if "otp_messages" in tables:
                    codes |= {row[0] for row in connection.execute("SELECT code FROM otp_messages") if row[0]}
                if "sms_outbox" in tables:
                    for (text,) in connection.execute("SELECT text FROM sms_outbox"):
                        codes |= set(_CODE.findall(text or ""))
            except sqlite3.Error:
                continue
            finally:
                connection.close()
    return cards, codes


def _unescaped(text: str) -> str:
    """JSON (a document, or one a line) with its \\u escapes undone: Rasa writes events with
    ensure_ascii, and "\\u53f76217…" would hide a card number behind the escape's hex digits."""
    if "\\u" not in text:
        return text
    try:
        return json.dumps(json.loads(text), ensure_ascii=False)
    except ValueError:
        pass
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.dumps(json.loads(line), ensure_ascii=False))
        except ValueError:
            lines.append(line)
    return "\n".join(lines)


def _is_sqlite(path: Path) -> bool:
    if path.suffix in TEXT_SUFFIXES:
        return False
    try:
        with path.open("rb") as file:
            return file.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _tables(connection: sqlite3.Connection) -> list[str]:
    return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]


def _is_bank(connection: sqlite3.Connection) -> bool:
    return {"customers", "accounts"} <= set(_tables(connection))


def _texts(connection: sqlite3.Connection, table: str) -> Iterator[tuple[str, str]]:
    quoted = '"' + table.replace('"', '""') + '"'
    columns = [row[1] for row in connection.execute(f"PRAGMA table_info({quoted})")]
    for row in connection.execute(f"SELECT * FROM {quoted}"):
        for column, value in zip(columns, row, strict=True):
            if isinstance(value, bytes):
                value = value.decode("utf-8", errors="replace")
            if isinstance(value, str) and not _CIPHERTEXT.fullmatch(value):
                yield column, value
            elif isinstance(value, int) and value > 10**10:
                yield column, str(value)
