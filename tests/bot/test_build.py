"""bot.build: content-hash keyed training."""

from pathlib import Path

import pytest

from bot import build, processes


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
    return tmp_path


# --------------------------------------------------------------------------- hashing


def test_hash_is_stable_for_unchanged_sources(project):
    assert build.content_hash(project) == build.content_hash(project)


@pytest.mark.parametrize(
    "changed",
    ["bot/data/nlu/chitchat.yml", "bot/domain/core.yml", "config.yml", "nlu/normalizer.py", "bot/faq/faqs.yml"],
)
def test_hash_changes_when_a_training_input_changes(project, changed):
    before = build.content_hash(project)
    _write(project / changed, (project / changed).read_text(encoding="utf-8") + "# edit\n")
    assert build.content_hash(project) != before


def test_hash_changes_when_a_data_file_is_added_or_renamed(project):
    before = build.content_hash(project)
    _write(project / "bot/data/rules.yml", "rules: []\n")
    added = build.content_hash(project)
    (project / "bot/data/rules.yml").rename(project / "bot/data/stories.yml")
    assert len({before, added, build.content_hash(project)}) == 3


def test_hash_ignores_files_that_do_not_affect_the_model(project):
    before = build.content_hash(project)
    _write(project / "README.md", "docs\n")
    _write(project / "tests/test_x.py", "def test(): pass\n")
    _write(project / "actions/bank/db.py", "Y = 2\n")
    _write(project / "nlu/__pycache__/normalizer.cpython-310.pyc", "bytecode")
    _write(project / "bot/data/.chitchat.yml.swp", "editor swap file")
    _write(project / "bot/credentials.yml", "rest:\n")
    assert build.content_hash(project) == before


# --------------------------------------------------------------------------- train: skip logic


@pytest.fixture
def fake_rasa_train(monkeypatch):
    """Replace the real `rasa train` by one that writes a dummy archive; records calls."""
    calls = []

    def fake(root: Path, target: Path) -> None:
        calls.append(target.name)
        target.write_bytes(b"model")

    monkeypatch.setattr(build, "_train_into", fake)
    return calls


def test_train_reuses_the_model_while_sources_are_unchanged(project, fake_rasa_train):
    first = build.train(project)
    second = build.train(project)
    assert first == second == project / "models" / f"{build.content_hash(project)}.tar.gz"
    assert fake_rasa_train == [first.name]


def test_train_trains_again_after_a_data_change(project, fake_rasa_train):
    first = build.train(project)
    _write(project / "bot/data/nlu/chitchat.yml", "nlu:\n- intent: greet\n  examples: |\n    - 您好\n")
    second = build.train(project)
    assert second != first and second.exists()
    assert fake_rasa_train == [first.name, second.name]


def test_train_force_retrains(project, fake_rasa_train):
    build.train(project)
    build.train(project, force=True)
    assert len(fake_rasa_train) == 2


def test_train_without_config_is_a_clear_error(project, fake_rasa_train):
    (project / "config.yml").unlink()
    with pytest.raises(processes.ManageError, match="config.yml"):
        build.train(project)
    assert fake_rasa_train == []


def test_old_models_are_pruned(project, fake_rasa_train, monkeypatch):
    monkeypatch.setattr(build, "MODELS_KEPT", 2)
    for n in range(4):
        _write(project / "config.yml", f"language: zh\n# {n}\n")
        newest = build.train(project)
    kept = list((project / "models").glob("*.tar.gz"))
    assert len(kept) == 2 and newest in kept


# --------------------------------------------------------------------------- Rasa's cache


def test_rasa_train_is_given_its_cache_as_an_absolute_path(project, monkeypatch):
    """Rasa records a cached output's place as the cache directory was given: a relative one would
    not be found again by a training in another directory (the console's copy of the sources)."""
    given: list = []

    def fake_rasa(cmd, root, what, log=None, **env):
        given.append(env[build.RASA_CACHE_ENV])
        out, name = cmd[cmd.index("--out") + 1], cmd[cmd.index("--fixed-model-name") + 1]
        (Path(out) / f"{name}.tar.gz").write_bytes(b"model")

    monkeypatch.setattr(build, "run_checked", fake_rasa)
    monkeypatch.delenv(build.RASA_CACHE_ENV, raising=False)
    build.train(project)
    monkeypatch.setenv(build.RASA_CACHE_ENV, "shared/cache")
    build.train(project, force=True)
    monkeypatch.setenv(build.RASA_CACHE_ENV, "/srv/rasa-cache")
    build.train(project, force=True)
    root = project.resolve()
    assert given == [str(root / ".rasa" / "cache"), str(root / "shared" / "cache"), "/srv/rasa-cache"]
