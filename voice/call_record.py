"""What happened on a call, kept with the conversation: timestamped caller and bot turns,
ASR confidences, keypad input and call events. Numbers are masked before they are kept."""

import json
import logging
import os
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

from sqlalchemy import JSON, Column, DateTime, Float, Integer, MetaData, String, Table, Text, create_engine

log = logging.getLogger(__name__)
REPO_ROOT = Path(__file__).resolve().parent.parent
# Not ticket numbers (H000012), amounts (50000元) or measurements (16000 Hz).
_DIGIT_RUN = re.compile(r"(?<![A-Za-z\d])(?<!\d\.)\d{5,}(?!\d|\.\d)(?!\s*(?:元|块|万|千|百|Hz|kHz|ms|毫秒|字节|bytes))")

metadata = MetaData()
call_records = Table(
    "voice_call_records",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("call_id", String(64), nullable=False, index=True),
    Column("conversation_id", String(255), nullable=False, index=True),
    Column("transport", String(32), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("duration_s", Float, nullable=False),
    Column("end_reason", String(32), nullable=False),
    Column("entries", JSON, nullable=False),
    Column("summary", Text, nullable=False),
)


def mask_numbers(text: str) -> str:
    """Phone numbers keep their first 3 and last 4 digits, longer numbers their last 4,
    shorter ones (one-time codes) nothing. Card tails of 4 digits, ticket numbers, amounts and
    measurements stay readable."""

    def mask(match: re.Match) -> str:
        digits = match.group()
        if len(digits) == 11 and digits.startswith("1"):
            return digits[:3] + "****" + digits[-4:]
        if len(digits) >= 12:
            return "*" * (len(digits) - 4) + digits[-4:]
        return "*" * len(digits)

    return _DIGIT_RUN.sub(mask, text)


@dataclass
class Entry:
    t: float  # seconds of call time
    who: str  # caller | bot | dtmf (a keypad entry) | key (one key press) | event
    text: str
    confidence: Optional[float] = None


@dataclass
class CallRecord:
    call_id: str
    conversation_id: str
    transport: str
    started_at: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    entries: List[Entry] = field(default_factory=list)
    end_reason: str = ""
    duration_s: float = 0.0

    def add(self, t: float, who: str, text: str, confidence: Optional[float] = None) -> None:
        conf = None if confidence is None else round(confidence, 3)
        self.entries.append(Entry(round(t, 3), who, mask_numbers(text), conf))
        log.info("call %s %7.2fs %-6s %s", self.call_id, t, who, mask_numbers(text))

    def finish(self, t: float, reason: str) -> None:
        self.duration_s, self.end_reason = round(t, 3), reason
        self.add(t, "event", f"call ended: {reason}")

    def transcript(self) -> str:
        lines = []
        for e in self.entries:
            conf = f" (asr {e.confidence:.2f})" if e.confidence is not None else ""
            lines.append(f"[{e.t:8.2f}] {e.who:<6} {e.text}{conf}")
        return "\n".join(lines) + "\n"

    def as_row(self) -> dict:
        return {
            "call_id": self.call_id,
            "conversation_id": self.conversation_id,
            "transport": self.transport,
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "end_reason": self.end_reason or "unknown",
            "entries": [asdict(e) for e in self.entries],
            "summary": self.transcript(),
        }

    def to_json(self) -> str:
        row = self.as_row()
        row["started_at"] = self.started_at.isoformat()
        return json.dumps(row, ensure_ascii=False, indent=1)


def default_store_url() -> str:
    """Next to the conversations: Rasa's tracker store database unless CALL_RECORD_URL says otherwise."""
    return (
        os.environ.get("CALL_RECORD_URL")
        or os.environ.get("TRACKER_STORE_URL")
        or f"sqlite:///{REPO_ROOT / 'var' / 'tracker.db'}"
    )


class CallRecordStore:
    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url or default_store_url()
        if self.url.startswith("sqlite:///"):
            Path(self.url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        self.engine = create_engine(self.url, future=True)
        metadata.create_all(self.engine)

    def save(self, record: CallRecord) -> None:
        with self.engine.begin() as connection:
            connection.execute(call_records.insert().values(**record.as_row()))

    def load(self, call_id: str) -> Optional[dict]:
        with self.engine.connect() as connection:
            row = connection.execute(call_records.select().where(call_records.c.call_id == call_id)).mappings().first()
        return dict(row) if row else None
