"""Fixtures shared by the whole suite."""

import os
from datetime import datetime, time
from pathlib import Path

import pytest

from actions.bank.clock import OFFSET_VARIABLE, offset_to, today
from bot import build, processes
from tests.database_backends import (
    BACKENDS,
    drop_postgres_database,
    fresh_copy,
    postgres_admin_url,
    postgres_url,
    seeded_template,
)


def pytest_configure(config):
    """Pin bank time to 10:00 today (China time) for the run: no run crosses a bank midnight."""
    os.environ[OFFSET_VARIABLE] = str(offset_to(datetime.combine(today(), time(10, 0))))


def pytest_collection_modifyitems(items):
    """A test whose function says ``runs_last`` (tests/test_pii_at_rest.py: what the suite left at
    rest, searched for personal numbers) runs after all the others; the rest keep their order."""
    items.sort(key=lambda item: bool(getattr(getattr(item, "function", None), "runs_last", False)))


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path of the Rasa model for the current sources, trained beforehand by `make train`
    (`make test` trains first): a test never trains one itself."""
    model = build.model_path()
    if not model.exists():
        pytest.fail(
            f"no trained model for the current sources: {model} does not exist; "
            "run `make train` first (`make test` does)",
            pytrace=False,
        )
    return model


@pytest.fixture(scope="session")
def day():
    """The seeding day, fixed for the whole run so that it can't change at midnight."""
    return today()


@pytest.fixture(scope="session", params=BACKENDS if postgres_admin_url() else BACKENDS[:1])
def database_backend(request) -> str:
    """sqlite, and also postgresql when TEST_POSTGRES_URL names a server."""
    return request.param


@pytest.fixture(scope="session")
def bank_template(database_backend, day, tmp_path_factory):
    template = seeded_template(database_backend, tmp_path_factory.mktemp("template"), day)
    yield template
    if database_backend == "postgresql":
        drop_postgres_database(postgres_url(template))


@pytest.fixture
def bank_db_url(database_backend, bank_template, tmp_path, monkeypatch):
    """A private copy of the seeded demo bank; also exported as BANK_DATABASE_URL."""
    with fresh_copy(database_backend, bank_template, tmp_path) as url:
        monkeypatch.setenv("BANK_DATABASE_URL", url)
        yield url


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    return processes.free_port()


_SUMMARY_LINES: list = []


@pytest.fixture(scope="session")
def summary_line():
    """Call with a line to have it printed in pytest's final summary (figures worth seeing)."""
    return _SUMMARY_LINES.append


def pytest_terminal_summary(terminalreporter):
    if _SUMMARY_LINES:
        terminalreporter.section("measured figures")
        for line in _SUMMARY_LINES:
            terminalreporter.write_line(line)
