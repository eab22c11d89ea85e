"""bot.tracker_rekey: a key rotated, and a database stored in the clear encrypted, in place."""

import asyncio

import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.event_cipher import KEY_ENV, EventCipher
from bot.tracker_rekey import main, rekey
from bot.tracker_store import EncryptedSQLTrackerStore

PHONE = "13800138000"
DOMAIN = Domain.from_dict({"slots": {"phone": {"type": "text", "mappings": [{"type": "custom"}]}}})


def save(store: SQLTrackerStore, sender: str) -> None:
    events = [UserUttered(f"我的手机号是{PHONE}"), SlotSet("phone", PHONE)]
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events)))
    store.engine.dispose()


def stored_data(url: str) -> list[str]:
    engine = sa.create_engine(url, future=True)
    with engine.connect() as connection:
        data = list(connection.execute(sa.text("SELECT data FROM events ORDER BY id")).scalars())
    engine.dispose()
    return data


def test_old_key_and_clear_rows_end_up_under_the_new_key_alone(tmp_path):
    db = tmp_path / "tracker.db"
    url = f"sqlite:///{db}"
    old, new = Fernet.generate_key(), Fernet.generate_key()
    save(SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db)), "before-encryption")
    save(EncryptedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db), cipher=EventCipher([old])), "old-key")

    assert rekey(url, EventCipher([new, old]), batch_rows=3) == 4  # batches smaller than the table

    data = stored_data(url)
    assert all(PHONE not in d and not EventCipher.is_clear(d) for d in data)
    only_new = EncryptedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db), cipher=EventCipher([new]))
    for sender in ("before-encryption", "old-key"):
        assert asyncio.run(only_new.retrieve(sender)).get_slot("phone") == PHONE
    only_new.engine.dispose()


def test_the_command_names_a_key_that_does_not_fit_and_changes_nothing(tmp_path, monkeypatch, capsys):
    db = tmp_path / "tracker.db"
    save(
        EncryptedSQLTrackerStore(DOMAIN, dialect="sqlite", db=str(db), cipher=EventCipher([Fernet.generate_key()])),
        "x",
    )
    before = stored_data(f"sqlite:///{db}")
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    assert main(["--url", f"sqlite:///{db}"]) == 1
    assert KEY_ENV in capsys.readouterr().err
    assert stored_data(f"sqlite:///{db}") == before


def test_an_empty_database_has_nothing_to_do(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(KEY_ENV, Fernet.generate_key().decode())
    assert main(["--url", f"sqlite:///{tmp_path / 'none.db'}"]) == 0
    assert capsys.readouterr().out.startswith("0 events")
