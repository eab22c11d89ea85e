"""Fixtures shared by the whole suite."""

from pathlib import Path

import pytest

from bot import manage


@pytest.fixture(scope="session")
def trained_model() -> Path:
    """Path of the Rasa model for the current sources.

    Same hash-keyed function as `make train`: trains at most once per source state,
    so later runs (and `make train`) reuse models/<hash>.tar.gz.
    """
    return manage.train()


@pytest.fixture
def bank_db_url(tmp_path, monkeypatch) -> str:
    """A fresh, seeded SQLite bank database; also exported as BANK_DATABASE_URL."""
    from actions.bank.db import init_db

    url = f"sqlite:///{tmp_path / 'bank.db'}"
    init_db(url)
    monkeypatch.setenv("BANK_DATABASE_URL", url)
    return url


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    return manage.free_port()


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
