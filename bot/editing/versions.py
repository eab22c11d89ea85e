"""Published versions of the sources the console edits, each with the model trained from them.

Layout under ``workspace.state``::

    versions/0001/meta.json        {number, at, staff, model, kind, note, restored_from}
    versions/0001/files/<relative> a copy of every editable file as published
    versions/0001/model.tar.gz     a copy of the model (kept for the newest versions only)
    versions/current               "0001": the version the server runs

A version is written in full under ``versions/.NNNN-partial`` and renamed into place, so a reader
never sees half a version."""

from __future__ import annotations

from pathlib import Path

from bot.editing.workspace import Workspace

VERSIONS_DIR = "versions"
CURRENT_FILE = "current"
FILES_DIR = "files"


def _versions_dir(workspace: Workspace) -> Path:
    return workspace.state / VERSIONS_DIR


def _label(number: int) -> str:
    return f"{number:04d}"


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
    path = _versions_dir(workspace) / _label(number) / FILES_DIR / Path(relative)
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return ""
