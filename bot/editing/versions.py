"""Published versions of the sources the console edits, each with the model trained from them.

Layout under ``workspace.state``::

    versions/0001/meta.json        {number, at, staff, model, kind, note, restored_from, changes}
    versions/0001/files/<relative> a copy of every editable file as published
    versions/0001/model.tar.gz     a copy of the model (kept for the newest MODEL_COPIES_KEPT versions)
    versions/current               "0001": the version the server runs

``kind`` is "initial" (what the server ran when the console first saw it), "publish" or "rollback"
(``restored_from``: the version whose files and model it brought back). ``model`` is the model's
file name (models/<content hash>.tar.gz). A version is written in full under a hidden directory
and renamed into place, so a reader never sees half of one. Files and meta are kept forever (they
are small); model copies of old versions are pruned, so only recent versions roll back without
training."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import yaml

from bot.editing.files import locked, write_atomically
from bot.editing.workspace import FAQ_FILE, Workspace

VERSIONS_DIR = "versions"
CURRENT_FILE = "current"
FILES_DIR = "files"
META_FILE = "meta.json"
MODEL_FILE = "model.tar.gz"
MODEL_COPIES_KEPT = 10
KINDS = ("initial", "publish", "rollback")
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's: the FAQ file is large


@dataclass(frozen=True)
class Changes:
    """How two sets of the editable files differ: which files, and for the FAQ which entries."""

    files: list[str] = field(default_factory=list)  # relative paths that differ (added or removed too)
    faqs_added: list[str] = field(default_factory=list)
    faqs_changed: list[str] = field(default_factory=list)
    faqs_removed: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.files

    @property
    def faq_only(self) -> bool:
        """Only the FAQ source differs: training retrains the intent classifier alone."""
        return self.files == [FAQ_FILE.as_posix()]

    def as_dict(self) -> dict:
        return {**asdict(self), "faq_only": self.faq_only}

    @classmethod
    def from_dict(cls, raw: dict) -> Changes:
        return cls(*(list(raw.get(name) or []) for name in ("files", "faqs_added", "faqs_changed", "faqs_removed")))


@dataclass(frozen=True)
class Version:
    number: int
    at: float  # epoch seconds
    staff: str
    model: str  # the model's file name
    kind: str
    note: str = ""
    restored_from: int | None = None
    changes: Changes = field(default_factory=Changes)  # against the version before it
    has_model_copy: bool = False

    @property
    def label(self) -> str:
        return _label(self.number)

    def as_dict(self) -> dict:
        return {**asdict(self), "changes": self.changes.as_dict()}


def _versions_dir(workspace: Workspace) -> Path:
    return workspace.state / VERSIONS_DIR


def _label(number: int) -> str:
    return f"{number:04d}"


def _dir(workspace: Workspace, number: int) -> Path:
    return _versions_dir(workspace) / _label(number)


def current_number(workspace: Workspace) -> int | None:
    """The number of the version the server runs; None before the first one is recorded."""
    path = _versions_dir(workspace) / CURRENT_FILE
    try:
        text = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    return int(text) if text.isdigit() else None


def published_text(workspace: Workspace, relative: Path | str) -> str | None:
    """The text of ``relative`` (a path under the root) as it is in the current version.

    None when nothing has been published yet; "" when the file did not exist in that version."""
    number = current_number(workspace)
    if number is None:
        return None
    path = _dir(workspace, number) / FILES_DIR / Path(relative)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""


def get(workspace: Workspace, number: int) -> Version:
    """One version (KeyError when there is no such version)."""
    folder = _dir(workspace, number)
    try:
        raw = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError) as missing:
        raise KeyError(number) from missing
    restored = raw.get("restored_from")
    return Version(
        number=int(raw["number"]),
        at=float(raw["at"]),
        staff=str(raw.get("staff") or ""),
        model=str(raw.get("model") or ""),
        kind=str(raw.get("kind") or "publish"),
        note=str(raw.get("note") or ""),
        restored_from=int(restored) if restored is not None else None,
        changes=Changes.from_dict(raw.get("changes") or {}),
        has_model_copy=(folder / MODEL_FILE).exists(),
    )


def current(workspace: Workspace) -> Version | None:
    number = current_number(workspace)
    return get(workspace, number) if number is not None else None


def history(workspace: Workspace) -> list[Version]:
    """Every version, newest first."""
    found = []
    for number in _numbers(workspace):
        with contextlib.suppress(KeyError):
            found.append(get(workspace, number))
    return found[::-1]


def previous(workspace: Workspace) -> Version | None:
    """The version recorded just before the current one ("restore the previous model")."""
    number = current_number(workspace)
    earlier = [n for n in _numbers(workspace) if number is not None and n < number]
    return get(workspace, earlier[-1]) if earlier else None


def files(workspace: Workspace, number: int) -> dict[str, str]:
    """relative path → text of every file version ``number`` holds."""
    folder = _dir(workspace, number) / FILES_DIR
    if not folder.is_dir():
        raise KeyError(number)
    return {
        path.relative_to(folder).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def model_copy(workspace: Workspace, number: int) -> Path | None:
    path = _dir(workspace, number) / MODEL_FILE
    return path if path.exists() else None


def sources(workspace: Workspace) -> dict[str, str]:
    """relative path → text of every editable file as it is now in the sources."""
    return {rel.as_posix(): workspace.read(rel).text for rel in workspace.editable()}


def compare(before: dict[str, str], after: dict[str, str]) -> Changes:
    differ = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
    faq = FAQ_FILE.as_posix()
    if faq not in differ:
        return Changes(differ)
    old, new = _faqs_by_id(before.get(faq, "")), _faqs_by_id(after.get(faq, ""))
    return Changes(
        differ,
        faqs_added=sorted(new.keys() - old.keys()),
        faqs_changed=sorted(i for i in new.keys() & old.keys() if new[i] != old[i]),
        faqs_removed=sorted(old.keys() - new.keys()),
    )


def diff(workspace: Workspace, a: int, b: int) -> Changes:
    """What changed from version ``a`` to version ``b``."""
    return compare(files(workspace, a), files(workspace, b))


def unpublished(workspace: Workspace) -> Changes:
    """How the sources differ from the current version (every editable file before the first)."""
    number = current_number(workspace)
    return compare(files(workspace, number) if number is not None else {}, sources(workspace))


def ensure_initial(workspace: Workspace, model_path: Path, staff: str = "system") -> Version | None:
    """Record the sources and the running model as version 0001 when no version exists yet; the new
    version, or None when there already was one."""
    with _locked(workspace):
        if _numbers(workspace):
            return None
        return _record(workspace, sources(workspace), Path(model_path), staff, "initial", "", None)


def record_publish(
    workspace: Workspace,
    model_path: Path,
    staff: str,
    note: str = "",
    files_published: dict[str, str] | None = None,
    kind: str = "publish",
    restored_from: int | None = None,
) -> Version:
    """A new current version: ``files_published`` (default: the sources now) and a copy of the model."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind of version {kind!r}")
    texts = sources(workspace) if files_published is None else files_published
    with _locked(workspace):
        return _record(workspace, texts, Path(model_path), staff, kind, note, restored_from)


def _record(
    workspace: Workspace,
    texts: dict[str, str],
    model_path: Path,
    staff: str,
    kind: str,
    note: str,
    restored_from: int | None,
) -> Version:
    numbers = _numbers(workspace)
    number = (numbers[-1] if numbers else 0) + 1
    now = current_number(workspace)
    changes = compare(files(workspace, now) if now is not None else {}, texts) if now is not None else Changes()
    root = _versions_dir(workspace)
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(dir=root, prefix=f".{_label(number)}-"))
    try:
        for relative, text in texts.items():
            target = building / FILES_DIR / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        shutil.copy2(model_path, building / MODEL_FILE)
        meta = {
            "number": number,
            "at": time.time(),
            "staff": staff,
            "model": model_path.name,
            "kind": kind,
            "note": note,
            "restored_from": restored_from,
            "changes": changes.as_dict(),
        }
        (building / META_FILE).write_text(json.dumps(meta, ensure_ascii=False, indent=1), encoding="utf-8")
        building.chmod(0o755)
        os.replace(building, _dir(workspace, number))
    except BaseException:
        shutil.rmtree(building, ignore_errors=True)
        raise
    _set_current(workspace, number)
    _prune_model_copies(workspace)
    return get(workspace, number)


def _set_current(workspace: Workspace, number: int) -> None:
    write_atomically(_versions_dir(workspace) / CURRENT_FILE, _label(number) + "\n")


def _prune_model_copies(workspace: Workspace, keep: int = MODEL_COPIES_KEPT) -> None:
    """Model copies of all but the newest ``keep`` versions and the current one go."""
    now = current_number(workspace)
    for number in _numbers(workspace)[:-keep]:
        if number != now:
            (_dir(workspace, number) / MODEL_FILE).unlink(missing_ok=True)


def _numbers(workspace: Workspace) -> list[int]:
    root = _versions_dir(workspace)
    if not root.is_dir():
        return []
    return sorted(int(p.name) for p in root.iterdir() if p.is_dir() and p.name.isdigit())


def _faqs_by_id(text: str) -> dict[str, dict]:
    try:
        entries = yaml.load(text, Loader=_Loader) or []  # a safe loader
    except yaml.YAMLError:
        return {}
    if not isinstance(entries, list):
        return {}
    return {str(e["id"]): e for e in entries if isinstance(e, dict) and "id" in e}


def _locked(workspace: Workspace) -> contextlib.AbstractContextManager[None]:
    return locked(_versions_dir(workspace) / ".lock")
