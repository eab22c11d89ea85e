"""Engine, sessions and database initialisation.

The database URL comes from ``BANK_DATABASE_URL``; by default it is the SQLite
file ``var/bank.db`` at the repository root. Services never commit: callers
wrap a unit of work in ``session_scope()``, which commits on success and rolls
back everything on any exception.
"""

import os
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from actions.bank.models import Base, Customer
from actions.bank.seed import seed_demo_data

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_URL = f"sqlite:///{REPO_ROOT / 'var' / 'bank.db'}"
SQLITE_BUSY_TIMEOUT_MS = 10_000


def database_url(url: str | None = None) -> str:
    return url or os.environ.get("BANK_DATABASE_URL") or DEFAULT_URL


def get_engine(url: str | None = None) -> Engine:
    return _engine_for(database_url(url))


@cache
def _engine_for(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, future=True, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, future=True, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
    event.listen(engine, "connect", _configure_sqlite)
    return engine


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


@cache
def _session_factory(url: str) -> sessionmaker:
    return sessionmaker(bind=_engine_for(url), future=True, expire_on_commit=False)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One transaction: commit if the block succeeds, roll back if it raises."""
    session = _session_factory(database_url(url))()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def init_db(url: str | None = None, seed: bool = True) -> bool:
    """Create missing tables; seed the demo data if there are no customers yet.

    Safe to run repeatedly. Returns True if demo data was written.
    """
    Base.metadata.create_all(get_engine(url))
    if not seed:
        return False
    with session_scope(url) as session:
        if session.scalar(select(func.count(Customer.id))):
            return False
        seed_demo_data(session)
        return True


def reseed(url: str | None = None) -> None:
    """Put the demo data back as seeded: every row deleted, the demo rows written, in one transaction.

    For scripted conversations that each need the bank as it was (tests, benchmarks)."""
    Base.metadata.create_all(get_engine(url))
    with session_scope(url) as session:
        for table in reversed(Base.metadata.sorted_tables):
            session.execute(table.delete())
        seed_demo_data(session)
