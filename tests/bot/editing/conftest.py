"""A workspace on a copy of the sources, so no test ever changes the repository's files."""

import shutil
from pathlib import Path

import pytest

from bot.editing.workspace import DOMAIN_DIR, FAQ_FILE, NLU_DIR, REPO_ROOT, Workspace


def copy_sources(root: Path) -> Path:
    (root / FAQ_FILE).parent.mkdir(parents=True)
    shutil.copy(REPO_ROOT / FAQ_FILE, root / FAQ_FILE)
    shutil.copytree(REPO_ROOT / NLU_DIR, root / NLU_DIR)
    shutil.copytree(REPO_ROOT / DOMAIN_DIR, root / DOMAIN_DIR)
    return root


@pytest.fixture
def workspace(tmp_path) -> Workspace:
    return Workspace.at(copy_sources(tmp_path / "root"), tmp_path / "state")
