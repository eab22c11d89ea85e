"""Where a failed message can be assigned: an FAQ (as one more phrasing) or a task intent (as one more
example), named ``faq:<id>`` or ``intent:<name>``; what each already holds, in the sources and in the
published version."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

from bot.editing import versions
from bot.editing.workspace import FAQ_FILE, NLU_DIR, Workspace
from bot.faq import nlu_examples
from bot.faq.checks import GENERATED_NLU, question_key
from bot.review.grouping import Target
from nlu import faq_source
from nlu.intent_titles import INTENT_TITLES

FAQ, INTENT = "faq", "intent"
KINDS = (FAQ, INTENT)
_TARGET = re.compile(r"(faq|intent):([A-Za-z0-9_]{1,80})")


def parse(target: str) -> tuple[str, str]:
    """("faq", id) or ("intent", name); ValueError when it is neither shape."""
    found = _TARGET.fullmatch(target or "")
    if not found:
        raise ValueError(f"{target!r} is not faq:<id> or intent:<name>")
    return found.group(1), found.group(2)


@dataclass(frozen=True)
class Choice:
    """One entry of the page's picker."""

    target: str
    kind: str  # "faq" | "intent"
    name: str
    title: str  # an FAQ's first phrasing, an intent's Chinese title
    category: str = ""  # an FAQ's category
    enabled: bool = True

    def as_dict(self) -> dict:
        return {
            "target": self.target,
            "kind": self.kind,
            "name": self.name,
            "title": self.title,
            "category": self.category,
            "enabled": self.enabled,
        }


@dataclass(frozen=True)
class Contents:
    """The phrasing keys (bot.faq.checks.question_key) each FAQ and intent holds in one set of files."""

    faqs: dict[str, set[str]] = field(default_factory=dict)
    intents: dict[str, set[str]] = field(default_factory=dict)

    def holds(self, target: str, text: str) -> bool:
        kind, name = parse(target)
        held = (self.faqs if kind == FAQ else self.intents).get(name, set())
        return question_key(text) in held


def contents(faq_text: str, nlu_texts: Iterable[str]) -> Contents:
    """What a FAQ file's text and NLU files' texts hold (the generated faq.yml aside)."""
    faqs = {faq.id: {question_key(q) for q in faq.questions} for faq in _faqs(faq_text)}
    intents: dict[str, set[str]] = {}
    for intent, example in _examples(nlu_texts):
        intents.setdefault(intent, set()).add(question_key(example))
    return Contents(faqs, intents)


def current(workspace: Workspace) -> Contents:
    """What the sources hold now."""
    return contents(workspace.read(FAQ_FILE).text, (workspace.read(path).text for path in _nlu_files(workspace)))


def published(workspace: Workspace) -> Contents | None:
    """What the version the server runs holds; None before anything was published."""
    faq_text = versions.published_text(workspace, FAQ_FILE)
    if faq_text is None:
        return None
    texts = (versions.published_text(workspace, path) or "" for path in _nlu_files(workspace))
    return contents(faq_text, texts)


def choices(workspace: Workspace, task_intents: Iterable[str]) -> list[Choice]:
    """Every FAQ (in the file's order) and every task intent (by name) a message may be assigned to."""
    found = [
        Choice(f"faq:{faq.id}", FAQ, faq.id, faq.questions[0] if faq.questions else "", faq.category, faq.enabled)
        for faq in _faqs(workspace.read(FAQ_FILE).text)
        if faq.id
    ]
    found += [Choice(f"intent:{name}", INTENT, name, INTENT_TITLES.get(name, name)) for name in sorted(task_intents)]
    return found


def phrasings(workspace: Workspace, task_intents: Iterable[str]) -> list[Target]:
    """Each enabled FAQ's phrasings and each task intent's examples, for suggesting where a group goes."""
    faqs = [
        Target(f"faq:{faq.id}", faq.questions)
        for faq in _faqs(workspace.read(FAQ_FILE).text)
        if faq.enabled and faq.questions
    ]
    wanted = set(task_intents)
    examples: dict[str, list[str]] = {}
    for intent, example in _examples(workspace.read(path).text for path in _nlu_files(workspace)):
        if intent in wanted:
            examples.setdefault(intent, []).append(example)
    return faqs + [Target(f"intent:{name}", tuple(found)) for name, found in sorted(examples.items())]


def _nlu_files(workspace: Workspace) -> list[Path]:
    return [
        path
        for path in workspace.editable()
        if path.parent == NLU_DIR and path.name != GENERATED_NLU.name and (workspace.root / path).exists()
    ]


@lru_cache(maxsize=8)  # the same file's text is parsed once: every listing reads it
def _faqs(text: str) -> tuple[faq_source.Faq, ...]:
    return tuple(_parse_faqs(text))


def _parse_faqs(text: str) -> list[faq_source.Faq]:
    try:
        data = yaml.safe_load(text) or []
    except yaml.YAMLError:
        return []
    if not isinstance(data, list):
        return []
    return [faq_source.from_mapping(raw, FAQ_FILE.as_posix()) for raw in data if isinstance(raw, dict)]


def _examples(texts: Iterable[str]) -> Iterable[tuple[str, str]]:
    """(intent, example) for the hand-written NLU examples in the files' texts, annotations removed."""
    for text in texts:
        yield from _examples_of(text)


@lru_cache(maxsize=64)
def _examples_of(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(_parse_examples(text))


def _parse_examples(text: str) -> Iterable[tuple[str, str]]:
    try:
        found = nlu_examples.task_examples([text])
    except yaml.YAMLError:
        return []
    return [(example.intent, example.plain) for example in found]
