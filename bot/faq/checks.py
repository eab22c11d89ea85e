"""Validation of FAQ entries, with problems named by file, row and reason."""

import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import yaml

from nlu.faq_source import REPO_ROOT, Faq
from nlu.textnorm import normalize_text

MIN_QUESTIONS = 5
MAX_VOICE_CHARS = 80
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
# Things a speech synthesizer reads badly or a caller can't use.
VOICE_UNREADABLE = re.compile(r"https?://|www\.|[¥$%/|<>#*_\[\]【】{}]|\.com|\.cn")
NLU_DIR = REPO_ROOT / "bot" / "data" / "nlu"
GENERATED_NLU = NLU_DIR / "faq.yml"
ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


@dataclass(frozen=True)
class Problem:
    origin: str
    faq_id: str
    reason: str

    def __str__(self) -> str:
        return f"{self.origin} ({self.faq_id or 'no id'}): {self.reason}"


def question_key(text: str) -> str:
    """What makes two phrasings "the same": equal after normalizing, ignoring punctuation and spaces."""
    return "".join(c for c in normalize_text(text) if not c.isspace() and not unicodedata.category(c).startswith("P"))


def task_examples(nlu_dir: Path = NLU_DIR) -> dict[str, str]:
    """question key → task intent, for every hand-written (non-FAQ) NLU example."""
    found = {}
    for path in sorted(nlu_dir.glob("*.yml")):
        if path == GENERATED_NLU:
            continue
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            intent = item.get("intent")
            if not intent or intent.startswith("faq"):
                continue
            for line in (item.get("examples") or "").splitlines():
                text = ANNOTATION.sub(r"\1", line.strip().removeprefix("- "))
                if text:
                    found.setdefault(question_key(text), intent)
    return found


def entry_problems(faq: Faq) -> list[str]:
    reasons = []
    if not ID_PATTERN.match(faq.id):
        reasons.append(f"id {faq.id!r} must be 2–64 lower-case letters, digits or _, starting with a letter")
    if not faq.category:
        reasons.append("category is empty")
    if not isinstance(faq.enabled, bool):
        reasons.append(f"enabled must be 是/否 (true/false), got {faq.enabled!r}")
    if len(faq.questions) < MIN_QUESTIONS:
        reasons.append(f"only {len(faq.questions)} phrasing(s); at least {MIN_QUESTIONS} are needed")
    seen = set()
    for question in faq.questions:
        key = question_key(question)
        if key in seen:
            reasons.append(f"phrasing {question!r} is listed twice")
        seen.add(key)
    if not faq.answer:
        reasons.append("answer is empty")
    if len(faq.answer_voice) > MAX_VOICE_CHARS:
        reasons.append(f"voice answer is too long ({len(faq.answer_voice)} characters, at most {MAX_VOICE_CHARS})")
    if VOICE_UNREADABLE.search(faq.answer_voice):
        reasons.append(
            f"voice answer contains something that can't be spoken "
            f"({VOICE_UNREADABLE.search(faq.answer_voice).group()!r}): no links or symbols"
        )
    return reasons


def problems(faqs: list[Faq], tasks: dict[str, str] | None = None) -> list[Problem]:
    tasks = task_examples() if tasks is None else tasks
    found = [Problem(f.origin, f.id, reason) for f in faqs for reason in entry_problems(f)]
    by_id = defaultdict(list)
    owners = defaultdict(list)
    for faq in faqs:
        by_id[faq.id].append(faq)
        for question in faq.questions:
            key = question_key(question)
            owners[key].append((faq, question))
            if key in tasks:
                found.append(
                    Problem(
                        faq.origin,
                        faq.id,
                        f"phrasing {question!r} is a training example of the task intent {tasks[key]}",
                    )
                )
    for faq_id, same in by_id.items():
        for faq in same[1:]:
            found.append(Problem(faq.origin, faq_id, f"duplicate id (first at {same[0].origin})"))
    for entries in owners.values():
        ids = {faq.id for faq, _ in entries}
        if len(ids) > 1:
            first, question = entries[0]
            for faq, _ in entries[1:]:
                if faq.id != first.id:
                    found.append(
                        Problem(faq.origin, faq.id, f"phrasing {question!r} is also in FAQ {first.id} ({first.origin})")
                    )
    return found
