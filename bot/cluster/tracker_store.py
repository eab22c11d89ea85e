"""Rasa's SQL tracker store with connections checked before use (SQLAlchemy's ``pool_pre_ping``).

Rasa 3.6 makes its engine without it: after PostgreSQL restarts, each pooled connection fails once,
and Rasa's fail-safe wrapper then answers that turn from an empty in-memory tracker — the customer's
conversation (a verified identity, a form half done) is gone for that turn and its events are not
stored. With the ping, a dropped connection is replaced before the query (measured: the fault test
tests/bot/cluster/test_faults.py, a PostgreSQL restart)."""

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore, create_engine_kwargs


class ReconnectingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, pool_pre_ping=True, **create_engine_kwargs(url))
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
