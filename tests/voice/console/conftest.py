"""Fixtures of the console's route tests: the staff accounts, and a workspace on a copy of the sources."""

from collections.abc import Iterator

import pytest

from bot.editing.workspace import Workspace
from tests.bot.editing.conftest import copy_sources
from tests.voice.console.staff_accounts import staff_store
from voice.desk.accounts import StaffStore


@pytest.fixture
def staff(tmp_path) -> Iterator[StaffStore]:
    yield from staff_store(tmp_path)


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace.at(copy_sources(tmp_path / "root"), tmp_path / "state")
