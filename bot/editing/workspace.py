"""Where the console edits: the sources a model is trained from (``root``) and the console's own
records (``state``: published versions, the audit log, the triage of failed messages).

The sources are the same files the command line uses (bot/faq/faqs.yml, bot/data/nlu/*.yml,
bot/domain/*.yml), so the spreadsheet commands and the browser never disagree. Every write names
the version (``etag``) it was based on: a second editor's stale save is refused, not merged. While
a publish is training, writes are refused, so the model is trained from what was validated; only
the holder of the publish lock writes then (a rollback restoring a version's files)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.editing.files import locked, write_atomically

ROOT_ENV = "CONSOLE_ROOT"
STATE_ENV = "CONSOLE_STATE_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
FAQ_FILE = Path("bot/faq/faqs.yml")
NLU_DIR = Path("bot/data/nlu")
DOMAIN_DIR = Path("bot/domain")
PUBLISHING_MARKER = "publishing"


class EditConflict(Exception):
    """The file changed since the editor read it (someone else saved, or a sheet was imported)."""


class PublishInProgress(Exception):
    """A publish is training from the sources; they can't change until it ends."""


@dataclass(frozen=True)
class Snapshot:
    text: str
    etag: str


def etag_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


class PublishHold:
    """The publish lock, as its holder has it: what lets the holder write while others can't."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.held = True

    def write(self, relative: Path, text: str, based_on: str) -> str:
        """Workspace.write, by the holder of the publish lock."""
        return self.workspace.write(relative, text, based_on, hold=self)


@dataclass(frozen=True)
class Workspace:
    root: Path
    state: Path

    @classmethod
    def at(cls, root: Path, state: Path | None = None) -> Workspace:
        root = Path(root).resolve()
        return cls(root, Path(state).resolve() if state else root / "var" / "console")

    @classmethod
    def from_env(cls) -> Workspace:
        root = os.environ.get(ROOT_ENV) or REPO_ROOT
        return cls.at(Path(root), Path(os.environ[STATE_ENV]) if os.environ.get(STATE_ENV) else None)

    @property
    def faq_file(self) -> Path:
        return self.root / FAQ_FILE

    @property
    def nlu_dir(self) -> Path:
        return self.root / NLU_DIR

    @property
    def domain_dir(self) -> Path:
        return self.root / DOMAIN_DIR

    def editable(self) -> list[Path]:
        """Every file the console may change, relative to ``root``, in a stable order."""
        files = [FAQ_FILE]
        for folder in (NLU_DIR, DOMAIN_DIR):
            files += sorted(p.relative_to(self.root) for p in (self.root / folder).glob("*.yml"))
        return files

    def read(self, relative: Path) -> Snapshot:
        text = (self.root / relative).read_text(encoding="utf-8")
        return Snapshot(text, etag_of(text))

    def write(self, relative: Path, text: str, based_on: str, hold: PublishHold | None = None) -> str:
        """Replace a source file atomically if it is still at version ``based_on``; the new etag.
        PublishInProgress while a publish holds the lock, unless ``hold`` is that lock, still held."""
        if Path(relative) not in self.editable():
            raise ValueError(f"{relative} is not a file the console edits")
        with self._locked():
            if self.publishing() and not (hold is not None and hold.held and hold.workspace == self):
                raise PublishInProgress(str(relative))
            path = self.root / relative
            if etag_of(path.read_text(encoding="utf-8")) != based_on:
                raise EditConflict(str(relative))
            write_atomically(path, text)
        return etag_of(text)

    def publishing(self) -> bool:
        return (self.state / PUBLISHING_MARKER).exists()

    @contextmanager
    def publish_lock(self, who: str) -> Iterator[PublishHold]:
        """Held by a publish from validation to loading (a rollback from restoring the files to loading):
        writes wait for it to end, but the holder's own (PublishHold.write). One at a time."""
        self.state.mkdir(parents=True, exist_ok=True)
        marker = self.state / PUBLISHING_MARKER
        with self._locked():
            if marker.exists():
                raise PublishInProgress(marker.read_text(encoding="utf-8").strip())
            marker.write_text(who, encoding="utf-8")
        hold = PublishHold(self)
        try:
            yield hold
        finally:
            hold.held = False
            marker.unlink(missing_ok=True)

    def clear_stale_publish(self) -> None:
        """At start-up: a publish that was running when the server stopped did not finish."""
        (self.state / PUBLISHING_MARKER).unlink(missing_ok=True)

    def _locked(self) -> AbstractContextManager[None]:
        return locked(self.state / "edit.lock")
