"""The staff the console's route tests sign in as: an agent (who may not use the console), an editor
and an admin, in a store with a virtual clock and a fast hasher."""

from collections.abc import Iterator
from pathlib import Path

from tests.voice.desk.test_accounts import CountingHasher, VirtualClock
from voice.desk.accounts import StaffStore

PASSWORDS = {"wang": "agent password 1", "zhou": "editor password 1", "boss": "admin password 1"}


def staff_store(directory: Path) -> Iterator[StaffStore]:
    store = StaffStore(f"sqlite:///{directory / 'staff.db'}", clock=VirtualClock(), hasher=CountingHasher())
    store.add("wang", PASSWORDS["wang"], "agent", name="王敏")
    store.add("zhou", PASSWORDS["zhou"], "editor", name="周编辑")
    store.add("boss", PASSWORDS["boss"], "admin", name="赵经理")
    yield store
    store.engine.dispose()
