"""Throwaway bank databases for tests, on SQLite always and on PostgreSQL when one is offered.

Set ``TEST_POSTGRES_URL`` to an SQLAlchemy URL of a PostgreSQL server whose user may
create databases (e.g. ``postgresql://bank:bank@127.0.0.1:5432/postgres``); every test
that takes a bank database then also runs against a fresh PostgreSQL database of its own.
"""

import os
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from actions.bank.db import get_engine, session_scope
from actions.bank.models import Base
from actions.bank.seed import seed_demo_data

POSTGRES_ENV = "TEST_POSTGRES_URL"
BACKENDS = ("sqlite", "postgresql")


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


@contextmanager
def _admin_connection():
    engine = create_engine(postgres_admin_url(), isolation_level="AUTOCOMMIT", future=True)
    try:
        with engine.connect() as connection:
            yield connection
    finally:
        engine.dispose()


def create_postgres_database(template: str | None = None) -> str:
    """A new, empty (or template-copied) database; returns its URL."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with _admin_connection() as connection:
        clause = f" TEMPLATE {template}" if template else ""
        connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
    return postgres_url(name)


def postgres_url(database: str) -> str:
    return make_url(postgres_admin_url()).set(database=database).render_as_string(hide_password=False)


def drop_postgres_database(url: str, attempts: int = 20) -> None:
    """Close our connections to the database and drop it. FORCE ends other sessions of our role, but
    not an autovacuum worker that happens to be on the database (a superuser's): wait it out."""
    get_engine(url).dispose()
    for attempt in range(attempts):
        try:
            with _admin_connection() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
            return
        except DBAPIError as error:
            if "pg_signal_backend" not in str(error) or attempt == attempts - 1:
                raise
            time.sleep(0.25)


def seeded_template(backend: str, directory: Path, day: date) -> str:
    """A demo bank seeded for ``day`` to copy from: an SQLite path or a PostgreSQL database name."""
    url = f"sqlite:///{directory / 'bank.db'}" if backend == "sqlite" else create_postgres_database()
    Base.metadata.create_all(get_engine(url))
    with session_scope(url) as session:
        seed_demo_data(session, today=day)
    get_engine(url).dispose()  # copying needs the template closed
    return make_url(url).database


@contextmanager
def fresh_copy(backend: str, template: str, directory: Path) -> Iterator[str]:
    """A private copy of the seeded bank for one test; dropped afterwards."""
    if backend == "sqlite":
        path = directory / "bank.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        get_engine(f"sqlite:///{path}").dispose()
        return
    url = create_postgres_database(template)
    try:
        yield url
    finally:
        drop_postgres_database(url)


@contextmanager
def empty_database(backend: str, directory: Path, name: str) -> Iterator[str]:
    """An empty database (e.g. for a tracker store) on the same backend."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / name}.db"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
