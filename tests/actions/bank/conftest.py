import shutil
from datetime import datetime, time

import pytest
from sqlalchemy import func, select

from actions.bank.clock import today
from actions.bank.db import get_engine, session_scope
from actions.bank.models import Base, Customer
from actions.bank.seed import seed_demo_data


@pytest.fixture(scope="session")
def day():
    """The seeding day, fixed for the whole run so that it can't change at midnight."""
    return today()


@pytest.fixture
def noon(day):
    return datetime.combine(day, time(12, 0))


@pytest.fixture(scope="session")
def seeded_template(tmp_path_factory, day):
    path = tmp_path_factory.mktemp("template") / "bank.db"
    url = f"sqlite:///{path}"
    Base.metadata.create_all(get_engine(url))
    with session_scope(url) as session:
        seed_demo_data(session, today=day)
    get_engine(url).dispose()
    return path


@pytest.fixture
def db_url(tmp_path, seeded_template):
    """A fresh copy of the seeded demo database for each test (copying is much faster than seeding)."""
    path = tmp_path / "bank.db"
    shutil.copyfile(seeded_template, path)
    return f"sqlite:///{path}"


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
