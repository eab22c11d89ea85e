"""The sentences that measure the assistant's quality and so must never be trained on.

tests/nlu_holdout*.yml measure intent accuracy, tests/bot/faq/holdout*.yml which FAQ is picked
(tests/bot/test_nlu_quality.py and tests/bot/faq/test_faq_accuracy.py check that none of them is
a training example). An example or phrasing added from the console must not be one of them, or
the gates would be measuring sentences the model has already seen."""

from __future__ import annotations

from pathlib import Path

import yaml

from bot.editing.workspace import REPO_ROOT, Workspace
from bot.faq import nlu_examples
from bot.faq.checks import question_key

NLU_HOLDOUTS = (Path("tests/nlu_holdout.yml"), Path("tests/nlu_holdout_fresh.yml"))
FAQ_HOLDOUTS = (Path("tests/bot/faq/holdout.yml"), Path("tests/bot/faq/holdout_fresh.yml"))


def _found(workspace: Workspace, relative: Path) -> Path | None:
    """The workspace's copy of a held-out file, else the repository's (a workspace may hold sources only)."""
    for root in (workspace.root, REPO_ROOT):
        if (root / relative).is_file():
            return root / relative
    return None


def _nlu_sentences(text: str) -> list[str]:
    return [example.plain for example in nlu_examples.examples(text)]


def _faq_sentences(text: str) -> list[str]:
    data = yaml.safe_load(text) or {}
    return [str(sentence) for sentences in data.values() for sentence in sentences or []]


def held_out(workspace: Workspace) -> dict[str, str]:
    """question key → the held-out file (relative path) that holds the sentence."""
    found: dict[str, str] = {}
    for files, sentences_of in ((NLU_HOLDOUTS, _nlu_sentences), (FAQ_HOLDOUTS, _faq_sentences)):
        for relative in files:
            path = _found(workspace, relative)
            if path is None:
                continue
            for sentence in sentences_of(path.read_text(encoding="utf-8")):
                found.setdefault(question_key(sentence), str(relative))
    return found
