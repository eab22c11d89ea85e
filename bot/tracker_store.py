"""The tracker store every Rasa process here uses (bot/servers.py names it in the endpoints): Rasa's SQL
tracker store, with

- each event's data encrypted at rest (bot/event_cipher.py). The columns Rasa queries by (sender id,
  event type, timestamp, intent and action names) stay readable; events stored in the clear before
  encryption was on are still read;
- connections checked before use (SQLAlchemy's ``pool_pre_ping``): Rasa 3.6 makes its engine without
  it, so after a PostgreSQL restart each pooled connection would fail once;
- no silent stand-in: Rasa wraps every tracker store in a ``FailSafeTrackerStore``, which on a database
  error answers the turn from an empty tracker (a verified customer is a stranger, a form half done is
  gone) and keeps what happens next in memory only. With ``install()`` (bot/rasa_cli.py) this store is
  used unwrapped, so such a turn fails and the channels say so (the page: 系统繁忙，请稍后再试).
"""

from typing import Any, Optional

import sqlalchemy as sa
from rasa.core.agent import Agent
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore, create_engine_kwargs
from rasa.shared.core.domain import Domain
from sqlalchemy.orm.attributes import set_committed_value

from bot.event_cipher import EventCipher


class EncryptedSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, cipher: Optional[EventCipher] = None, **kwargs: Any) -> None:
        self.cipher = cipher or EventCipher.from_env()
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.Base.metadata.create_all(self.engine)  # again: an in-memory SQLite database is per engine
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
        # Rasa's save() and _retrieve() write and read SQLEvent.data as JSON; these hooks of this store's
        # own sessions encrypt it on the way in and decrypt it on the way out, around Rasa's code.
        sa.event.listen(self.sessionmaker, "before_flush", self._encrypt_new_events)
        sa.event.listen(self.sessionmaker, "loaded_as_persistent", self._decrypt_loaded_event)

    def _encrypt_new_events(self, session: sa.orm.Session, _context: Any, _instances: Any) -> None:
        for row in session.new:
            if isinstance(row, self.SQLEvent) and row.data is not None and self.cipher.is_clear(row.data):
                row.data = self.cipher.encrypt(row.data)

    def _decrypt_loaded_event(self, _session: sa.orm.Session, row: Any) -> None:
        if isinstance(row, self.SQLEvent) and row.data is not None:
            set_committed_value(row, "data", self.cipher.decrypt(row.data))  # not a change to write back


_rasa_create_tracker_store = Agent._create_tracker_store


def _create_tracker_store(store: Optional[TrackerStore], domain: Domain) -> TrackerStore:
    if isinstance(store, EncryptedSQLTrackerStore):
        store.domain = domain
        return store
    return _rasa_create_tracker_store(store, domain)


def install() -> None:
    """Rasa's agent uses this store without its fail-safe wrapper. Idempotent; this process only."""
    Agent._create_tracker_store = staticmethod(_create_tracker_store)
