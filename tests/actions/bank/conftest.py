from datetime import datetime, time

import pytest
from sqlalchemy import func, select

from actions.bank.db import session_scope
from actions.bank.models import Customer


@pytest.fixture
def noon(day):
    return datetime.combine(day, time(12, 0))


@pytest.fixture
def db_url(bank_db_url):
    """A private copy of the seeded demo bank (SQLite, and PostgreSQL when offered)."""
    return bank_db_url


@pytest.fixture
def session(db_url):
    with session_scope(db_url) as session:
        yield session


def customer_id(session, phone):
    return session.scalar(select(Customer.id).where(Customer.phone == phone))


@pytest.fixture
def zhang(session):
    return customer_id(session, "13800138000")


@pytest.fixture
def li(session):
    return customer_id(session, "13900139000")


@pytest.fixture
def wang(session):
    return customer_id(session, "13700137000")


def count_rows(session, model):
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def count():
    """``count(session, Model)`` → number of rows."""
    return count_rows
