"""Conversations read from Rasa's SQL tracker store (table ``events``: one row per event, ``data`` the
event's JSON, encrypted: bot/event_cipher.py). Read only; plain SQL that SQLite and PostgreSQL both
run. Calls block: from an event loop, run them in an executor."""

import json
import os
from collections.abc import Iterator, Mapping
from itertools import groupby
from typing import Any

import sqlalchemy as sa

from bot.event_cipher import EventCipher
from bot.review.search import Filters, matches
from bot.review.summary import ConversationSummary, build
from bot.review.transcript import Transcript, transcript
from bot.servers import tracker_store_config

TRACKER_URL_ENV = "TRACKER_STORE_URL"
# the events a summary reads (slots and featurization are most of the rest)
SUMMARY_EVENTS = ("user", "bot", "action", "active_loop", "pause", "resume", "session_started")
_EVENTS = sa.table(
    "events",
    sa.column("id", sa.Integer),
    sa.column("sender_id", sa.String),
    sa.column("type_name", sa.String),
    sa.column("timestamp", sa.Float),
    sa.column("data", sa.Text),
)


def resolve_tracker_url(url: str | None = None) -> str:
    """The SQLAlchemy URL Rasa's tracker store is at, as bot/servers.py configures it: TRACKER_STORE_URL's
    value (a relative SQLite path is under the repository), or SQLite var/tracker.db when not given."""
    config = tracker_store_config(url)
    if str(config["dialect"]).startswith("sqlite"):
        return "sqlite://" if config["db"] == ":memory:" else f"{config['dialect']}:///{config['db']}"
    return str(url)


class ConversationStore:
    def __init__(self, tracker_url: str | None = None, cipher: EventCipher | None = None) -> None:
        self.url = resolve_tracker_url(tracker_url)
        self.engine = sa.create_engine(self.url, future=True)
        self.cipher = cipher or EventCipher.from_env()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "ConversationStore":
        return cls(environ.get(TRACKER_URL_ENV) or None)

    def close(self) -> None:
        self.engine.dispose()

    def summaries(self, since: float | None = None, until: float | None = None) -> list[ConversationSummary]:
        """Conversations that started in [since, until) (epoch seconds; None: unbounded), newest first.
        A conversation where nothing happened (only the greeting the page or call sends for the customer,
        no customer message and no hand-off) is left out: every page opened would be one."""
        found = [build(events, sender) for sender, events in self.conversations(since, until)]
        found = [summary for summary in found if summary.customer_turns or summary.handed_off or summary.callback]
        return sorted(found, key=lambda summary: (-summary.started_at, summary.sender_id))

    def search(self, filters: Filters) -> list[ConversationSummary]:
        """summaries() narrowed by the filters, newest first."""
        since, until = filters.bounds()
        return [summary for summary in self.summaries(since, until) if matches(summary, filters)]

    def events(self, sender_id: str) -> list[dict[str, Any]]:
        """One conversation's events (``event.as_dict()``), oldest first; [] if there is none."""
        if not self._has_events():
            return []
        query = sa.select(_EVENTS.c.data).where(_EVENTS.c.sender_id == sender_id).order_by(*_ORDER)
        with self.engine.connect() as connection:
            return [self._parse(data) for data in connection.execute(query).scalars()]

    def transcript(self, sender_id: str) -> Transcript | None:
        events = self.events(sender_id)
        return transcript(events, sender_id) if events else None

    def conversations(
        self, since: float | None = None, until: float | None = None
    ) -> Iterator[tuple[str, list[dict[str, Any]]]]:
        """(sender id, events) of each conversation that started in [since, until) (epoch seconds; None:
        unbounded), by sender id; the events oldest first, only those a summary reads (SUMMARY_EVENTS)."""
        if not self._has_events():
            return
        query = (
            sa.select(_EVENTS.c.sender_id, _EVENTS.c.data)
            .where(_EVENTS.c.type_name.in_(SUMMARY_EVENTS))
            .order_by(_EVENTS.c.sender_id, *_ORDER)
        )
        if since is not None or until is not None:
            first = sa.func.min(_EVENTS.c.timestamp)
            started = sa.select(_EVENTS.c.sender_id).group_by(_EVENTS.c.sender_id)
            if since is not None:
                started = started.having(first >= since)
            if until is not None:
                started = started.having(first < until)
            query = query.where(_EVENTS.c.sender_id.in_(started))
        with self.engine.connect() as connection:
            rows = connection.execute(query)
            for sender, group in groupby(rows, key=lambda row: row[0]):
                yield str(sender), [self._parse(row[1]) for row in group]

    def _has_events(self) -> bool:
        return sa.inspect(self.engine).has_table("events")

    def _parse(self, data: str | None) -> dict[str, Any]:
        text = self.cipher.decrypt(data or "{}")  # a row the key cannot open: EventCipherError, said as such
        try:
            event = json.loads(text)
        except ValueError:
            return {}
        return event if isinstance(event, dict) else {}


_ORDER = (_EVENTS.c.timestamp, _EVENTS.c.id)
