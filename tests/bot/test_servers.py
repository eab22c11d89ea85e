"""bot.servers: the generated endpoints file (action server URL, tracker store)."""

import asyncio
from pathlib import Path

import pytest
import yaml

from bot import servers


@pytest.fixture
def project(tmp_path: Path) -> Path:
    endpoints = tmp_path / "bot" / "endpoints.yml"
    endpoints.parent.mkdir(parents=True)
    endpoints.write_text("action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n", encoding="utf-8")
    return tmp_path


def test_default_tracker_store_is_sqlite_under_var(project):
    config = servers.render_endpoints("http://127.0.0.1:6000/webhook", None, project)
    assert config["action_endpoint"]["url"] == "http://127.0.0.1:6000/webhook"
    assert config["tracker_store"] == {
        "type": "bot.tracker_store.EncryptedSQLTrackerStore",
        "dialect": "sqlite",
        "db": str(project / "var" / "tracker.db"),
    }


def test_relative_sqlite_url_is_resolved_from_the_repo_root(project):
    store = servers.tracker_store_config("sqlite:///var/other.db", project)
    assert store["db"] == str(project / "var" / "other.db")


def test_server_database_url_is_split_into_rasa_fields(project):
    store = servers.tracker_store_config(
        "postgresql+psycopg2://rasa:s3cret@db.internal:5433/tracker?sslmode=require", project
    )
    assert store == {
        "type": "bot.tracker_store.EncryptedSQLTrackerStore",
        "dialect": "postgresql+psycopg2",
        "url": "db.internal",
        "port": 5433,
        "db": "tracker",
        "username": "rasa",
        "password": "s3cret",
        "query": {"sslmode": "require"},
    }


def test_written_endpoints_honour_env_urls(project, monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'env-tracker.db'}")
    monkeypatch.setenv("ACTION_ENDPOINT_URL", "http://127.0.0.1:7777/webhook")
    out = servers.write_endpoints(tmp_path / "out.yml", servers.action_url_for(5055), project)
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:7777/webhook"
    assert written["tracker_store"]["db"] == str(tmp_path / "env-tracker.db")


def test_action_url_defaults_to_the_local_port(monkeypatch):
    monkeypatch.delenv("ACTION_ENDPOINT_URL", raising=False)
    assert servers.action_url_for(5099) == "http://127.0.0.1:5099/webhook"


def test_rasa_sql_tracker_store_accepts_the_file_and_keeps_conversations(project, tmp_path, monkeypatch):
    """What `make serve` relies on: a restarted server finds the old conversation."""
    from rasa.core.tracker_store import TrackerStore
    from rasa.core.utils import read_endpoints_from_path
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from bot.tracker_store import EncryptedSQLTrackerStore

    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    path = servers.write_endpoints(tmp_path / "endpoints.yml", "http://127.0.0.1:1/webhook", project)

    def open_store():
        store = TrackerStore.create(read_endpoints_from_path(path).tracker_store)
        assert isinstance(store, EncryptedSQLTrackerStore)  # Rasa falls back to memory on bad config
        return store

    tracker = DialogueStateTracker.from_events("alice", [UserUttered("我要查余额")])
    asyncio.run(open_store().save(tracker))
    assert (tmp_path / "tracker.db").exists()  # the file named in TRACKER_STORE_URL, not a default
    restored = asyncio.run(open_store().retrieve("alice"))  # a new store = a restarted server
    assert restored is not None
    assert [e.text for e in restored.events if isinstance(e, UserUttered)] == ["我要查余额"]
