"""bot.tracker_store: Rasa's SQL tracker store as the assistant runs it — events encrypted at rest,
conversations read back whole, and a database error failing the turn instead of a blank tracker."""

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from rasa.core.agent import Agent
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot import tracker_store
from bot.event_cipher import EventCipher, EventCipherError
from bot.servers import tracker_store_config
from bot.tracker_store import EncryptedSQLTrackerStore
from tests.database_backends import empty_database

PHONE, CODE = "13800138000", "730512"
DOMAIN = Domain.from_dict({"slots": {"phone": {"type": "text", "mappings": [{"type": "custom"}]}}})


def conversation(sender: str = "web-alice") -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender,
        [
            UserUttered(f"我的手机号是{PHONE}", intent={"name": "inform", "confidence": 0.9}),
            SlotSet("phone", PHONE),
            UserUttered(CODE, intent={"name": "inform", "confidence": 0.9}),
            ActionExecuted("action_verify_otp"),
        ],
    )


@pytest.fixture
def tracker_url(database_backend, tmp_path):
    with empty_database(database_backend, tmp_path, "tracker") as url:
        yield url


def open_store(url: str, cipher: EventCipher, store_class=EncryptedSQLTrackerStore) -> SQLTrackerStore:
    config = tracker_store_config(url)
    config.pop("type")
    if "url" in config:
        config["host"] = config.pop("url")
    extra = {"cipher": cipher} if store_class is EncryptedSQLTrackerStore else {}
    return store_class(DOMAIN, **config, **extra)


def stored_rows(url: str) -> list:
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text("SELECT type_name, intent_name, action_name, data FROM events")).all()
    finally:
        engine.dispose()


def test_events_are_encrypted_at_rest_and_read_back_whole(tracker_url):
    cipher = EventCipher([Fernet.generate_key()])
    store = open_store(tracker_url, cipher)
    asyncio.run(store.save(conversation()))
    rows = stored_rows(tracker_url)
    assert [row.type_name for row in rows] == ["user", "slot", "user", "action"]
    assert [row.intent_name for row in rows] == ["inform", None, "inform", None]  # what Rasa queries by
    assert rows[-1].action_name == "action_verify_otp"
    for row in rows:
        assert PHONE not in row.data and CODE not in row.data and not EventCipher.is_clear(row.data)
    store.engine.dispose()

    restarted = open_store(tracker_url, cipher)  # another process, the same key
    tracker = asyncio.run(restarted.retrieve("web-alice"))
    assert tracker is not None
    assert [e.text for e in tracker.events if isinstance(e, UserUttered)] == [f"我的手机号是{PHONE}", CODE]
    assert tracker.get_slot("phone") == PHONE
    asyncio.run(restarted.save(tracker))  # nothing new: reading did not mark the rows as changed
    assert stored_rows(tracker_url) == rows
    restarted.engine.dispose()


def test_a_conversation_stored_in_the_clear_goes_on_encrypted(tracker_url):
    """A database written before encryption was on: its events are read, new ones are encrypted."""
    cipher = EventCipher([Fernet.generate_key()])
    before = open_store(tracker_url, cipher, SQLTrackerStore)
    asyncio.run(before.save(conversation()))
    before.engine.dispose()
    store = open_store(tracker_url, cipher)
    tracker = asyncio.run(store.retrieve("web-alice"))
    assert tracker.get_slot("phone") == PHONE
    tracker.update(UserUttered("查余额", intent={"name": "check_balance", "confidence": 0.9}))
    asyncio.run(store.save(tracker))
    data = [row.data for row in stored_rows(tracker_url)]
    assert [EventCipher.is_clear(d) for d in data] == [True] * 4 + [False]
    assert [e.text for e in asyncio.run(store.retrieve("web-alice")).events if isinstance(e, UserUttered)][
        -1
    ] == "查余额"
    store.engine.dispose()
    if tracker_url.startswith("sqlite:///"):  # its clear rows, planted on purpose, not left for the PII search
        Path(tracker_url.removeprefix("sqlite:///")).unlink()


def test_a_store_with_another_key_refuses_rather_than_starting_a_blank_conversation(tracker_url):
    writer = open_store(tracker_url, EventCipher([Fernet.generate_key()]))
    asyncio.run(writer.save(conversation()))
    writer.engine.dispose()
    reader = open_store(tracker_url, EventCipher([Fernet.generate_key()]))
    with pytest.raises(EventCipherError):
        asyncio.run(reader.retrieve("web-alice"))
    reader.engine.dispose()


def test_an_in_memory_database_keeps_its_tables():
    store = EncryptedSQLTrackerStore(
        DOMAIN, dialect="sqlite", db=":memory:", cipher=EventCipher([Fernet.generate_key()])
    )
    asyncio.run(store.save(conversation()))
    assert asyncio.run(store.retrieve("web-alice")).get_slot("phone") == PHONE


def test_rasa_wraps_other_stores_but_uses_this_one_as_it_is(tmp_path):
    """With Rasa's wrapper a database error gives an empty tracker (a verified customer a stranger);
    unwrapped, the error reaches the channel, which tells the customer to try again."""
    tracker_store.install()
    store = open_store(f"sqlite:///{tmp_path / 'tracker.db'}", EventCipher([Fernet.generate_key()]))
    asyncio.run(store.save(conversation()))
    assert Agent(domain=DOMAIN, tracker_store=store).tracker_store is store
    plain = SQLTrackerStore(DOMAIN, dialect="sqlite", db=str(tmp_path / "plain.db"))
    assert isinstance(Agent(domain=DOMAIN, tracker_store=plain).tracker_store, FailSafeTrackerStore)

    with store.engine.begin() as connection:
        connection.execute(sa.text("DROP TABLE events"))  # the database fails under the store
    assert asyncio.run(FailSafeTrackerStore(store).retrieve("web-alice")) is None  # what Rasa would do
    with pytest.raises(sa.exc.OperationalError):
        asyncio.run(Agent(domain=DOMAIN, tracker_store=store).tracker_store.get_or_create_tracker("web-alice"))
    store.engine.dispose()
