"""bot.manage: content-hash keyed training and the generated endpoints file."""

import asyncio
from pathlib import Path

import pytest
import yaml

from bot import manage


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A minimal project tree with every kind of training input."""
    _write(tmp_path / "config.yml", "language: zh\npipeline: []\n")
    _write(tmp_path / "bot/domain/core.yml", "intents: [greet]\n")
    _write(tmp_path / "bot/data/nlu/chitchat.yml", "nlu:\n- intent: greet\n  examples: |\n    - 你好\n")
    _write(tmp_path / "nlu/normalizer.py", "X = 1\n")
    _write(tmp_path / "bot/faq/faqs.yml", "- id: a_b\n  questions: [问]\n")
    _write(tmp_path / "bot/endpoints.yml", "action_endpoint:\n  url: http://127.0.0.1:5055/webhook\n")
    return tmp_path


# --------------------------------------------------------------------------- hashing


def test_hash_is_stable_for_unchanged_sources(project):
    assert manage.content_hash(project) == manage.content_hash(project)


@pytest.mark.parametrize(
    "changed",
    ["bot/data/nlu/chitchat.yml", "bot/domain/core.yml", "config.yml", "nlu/normalizer.py", "bot/faq/faqs.yml"],
)
def test_hash_changes_when_a_training_input_changes(project, changed):
    before = manage.content_hash(project)
    _write(project / changed, (project / changed).read_text(encoding="utf-8") + "# edit\n")
    assert manage.content_hash(project) != before


def test_hash_changes_when_a_data_file_is_added_or_renamed(project):
    before = manage.content_hash(project)
    _write(project / "bot/data/rules.yml", "rules: []\n")
    added = manage.content_hash(project)
    (project / "bot/data/rules.yml").rename(project / "bot/data/stories.yml")
    assert len({before, added, manage.content_hash(project)}) == 3


def test_hash_ignores_files_that_do_not_affect_the_model(project):
    before = manage.content_hash(project)
    _write(project / "README.md", "docs\n")
    _write(project / "tests/test_x.py", "def test(): pass\n")
    _write(project / "actions/bank/db.py", "Y = 2\n")
    _write(project / "nlu/__pycache__/normalizer.cpython-310.pyc", "bytecode")
    _write(project / "bot/data/.chitchat.yml.swp", "editor swap file")
    _write(project / "bot/credentials.yml", "rest:\n")
    assert manage.content_hash(project) == before


# --------------------------------------------------------------------------- train: skip logic


@pytest.fixture
def fake_rasa_train(monkeypatch):
    """Replace the real `rasa train` by one that writes a dummy archive; records calls."""
    calls = []

    def fake(root: Path, target: Path) -> None:
        calls.append(target.name)
        target.write_bytes(b"model")

    monkeypatch.setattr(manage, "_train_into", fake)
    return calls


def test_train_reuses_the_model_while_sources_are_unchanged(project, fake_rasa_train):
    first = manage.train(project)
    second = manage.train(project)
    assert first == second == project / "models" / f"{manage.content_hash(project)}.tar.gz"
    assert fake_rasa_train == [first.name]


def test_train_trains_again_after_a_data_change(project, fake_rasa_train):
    first = manage.train(project)
    _write(project / "bot/data/nlu/chitchat.yml", "nlu:\n- intent: greet\n  examples: |\n    - 您好\n")
    second = manage.train(project)
    assert second != first and second.exists()
    assert fake_rasa_train == [first.name, second.name]


def test_train_force_retrains(project, fake_rasa_train):
    manage.train(project)
    manage.train(project, force=True)
    assert len(fake_rasa_train) == 2


def test_train_without_config_is_a_clear_error(project, fake_rasa_train):
    (project / "config.yml").unlink()
    with pytest.raises(manage.ManageError, match="config.yml"):
        manage.train(project)
    assert fake_rasa_train == []


def test_old_models_are_pruned(project, fake_rasa_train, monkeypatch):
    monkeypatch.setattr(manage, "MODELS_KEPT", 2)
    for n in range(4):
        _write(project / "config.yml", f"language: zh\n# {n}\n")
        newest = manage.train(project)
    kept = list((project / "models").glob("*.tar.gz"))
    assert len(kept) == 2 and newest in kept


# --------------------------------------------------------------------------- endpoints


def test_default_tracker_store_is_sqlite_under_var(project):
    config = manage.render_endpoints("http://127.0.0.1:6000/webhook", None, project)
    assert config["action_endpoint"]["url"] == "http://127.0.0.1:6000/webhook"
    assert config["tracker_store"] == {
        "type": "SQL",
        "dialect": "sqlite",
        "db": str(project / "var" / "tracker.db"),
    }


def test_relative_sqlite_url_is_resolved_from_the_repo_root(project):
    store = manage.tracker_store_config("sqlite:///var/other.db", project)
    assert store["db"] == str(project / "var" / "other.db")


def test_server_database_url_is_split_into_rasa_fields(project):
    store = manage.tracker_store_config(
        "postgresql+psycopg2://rasa:s3cret@db.internal:5433/tracker?sslmode=require", project
    )
    assert store == {
        "type": "SQL",
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
    out = manage.write_endpoints(tmp_path / "out.yml", manage.action_url_for(5055), project)
    written = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert written["action_endpoint"]["url"] == "http://127.0.0.1:7777/webhook"
    assert written["tracker_store"]["db"] == str(tmp_path / "env-tracker.db")


def test_action_url_defaults_to_the_local_port(monkeypatch):
    monkeypatch.delenv("ACTION_ENDPOINT_URL", raising=False)
    assert manage.action_url_for(5099) == "http://127.0.0.1:5099/webhook"


def test_rasa_sql_tracker_store_accepts_the_file_and_keeps_conversations(project, tmp_path, monkeypatch):
    """What `make serve` relies on: a restarted server finds the old conversation."""
    from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
    from rasa.core.utils import read_endpoints_from_path
    from rasa.shared.core.events import UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    monkeypatch.setenv("TRACKER_STORE_URL", f"sqlite:///{tmp_path / 'tracker.db'}")
    path = manage.write_endpoints(tmp_path / "endpoints.yml", "http://127.0.0.1:1/webhook", project)

    def open_store():
        store = TrackerStore.create(read_endpoints_from_path(path).tracker_store)
        assert isinstance(store, SQLTrackerStore)  # Rasa falls back to memory on bad config
        return store

    tracker = DialogueStateTracker.from_events("alice", [UserUttered("我要查余额")])
    asyncio.run(open_store().save(tracker))
    assert (tmp_path / "tracker.db").exists()  # the file named in TRACKER_STORE_URL, not a default
    restored = asyncio.run(open_store().retrieve("alice"))  # a new store = a restarted server
    assert restored is not None
    assert [e.text for e in restored.events if isinstance(e, UserUttered)] == ["我要查余额"]


def test_free_port_can_be_bound(free_port):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))
