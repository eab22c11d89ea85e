"""Validation of FAQ entries, with problems named by file, row and reason.

Each problem knows the field it is about and says itself twice: in English for the command line
(`make faq-validate`) and in Simplified Chinese for bank staff in the console."""

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.faq import nlu_examples
from nlu.faq_source import REPO_ROOT, Faq
from nlu.textnorm import normalize_text

MIN_QUESTIONS = 5
MAX_VOICE_CHARS = 80
ID_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
# Things a speech synthesizer reads badly or a caller can't use.
VOICE_UNREADABLE = re.compile(r"https?://|www\.|[¥$%/|<>#*_\[\]【】{}]|\.com|\.cn")
NLU_DIR = REPO_ROOT / "bot" / "data" / "nlu"
GENERATED_NLU = NLU_DIR / "faq.yml"


@dataclass(frozen=True)
class Finding:
    """One thing wrong with an entry: the field, the reason (English) and the same in Chinese."""

    field: str
    reason: str
    chinese: str
    item: str = ""  # the offending phrasing, when there is one


@dataclass(frozen=True)
class Problem:
    origin: str
    faq_id: str
    reason: str
    field: str = ""
    chinese: str = ""
    item: str = ""

    def __str__(self) -> str:
        return f"{self.origin} ({self.faq_id or 'no id'}): {self.reason}"


def question_key(text: str) -> str:
    """What makes two phrasings "the same": equal after normalizing, ignoring punctuation and spaces."""
    return "".join(c for c in normalize_text(text) if not c.isspace() and not unicodedata.category(c).startswith("P"))


def task_examples(nlu_dir: Path = NLU_DIR) -> dict[str, str]:
    """question key → task intent, for every hand-written (non-FAQ) NLU example."""
    texts = (
        path.read_text(encoding="utf-8") for path in sorted(nlu_dir.glob("*.yml")) if path.name != GENERATED_NLU.name
    )
    found: dict[str, str] = {}
    for example in nlu_examples.task_examples(texts):
        found.setdefault(question_key(example.plain), example.intent)
    return found


def entry_findings(faq: Faq) -> list[Finding]:
    """What is wrong with one entry on its own (the other entries aside)."""
    found = []
    if not ID_PATTERN.match(faq.id):
        found.append(
            Finding(
                "id",
                f"id {faq.id!r} must be 2–64 lower-case letters, digits or _, starting with a letter",
                "编号需为 2–64 个小写英文字母、数字或下划线，并以字母开头",
                faq.id,
            )
        )
    if not faq.category:
        found.append(Finding("category", "category is empty", "请填写分类"))
    if not isinstance(faq.enabled, bool):
        found.append(
            Finding(
                "enabled",
                f"enabled must be 是/否 (true/false), got {faq.enabled!r}",
                f"“是否启用”只能是 是 或 否，现在是 {faq.enabled!r}",
            )
        )
    if len(faq.questions) < MIN_QUESTIONS:
        found.append(
            Finding(
                "questions",
                f"only {len(faq.questions)} phrasing(s); at least {MIN_QUESTIONS} are needed",
                f"目前只有 {len(faq.questions)} 个问法，至少需要 {MIN_QUESTIONS} 个，机器人才能可靠地认出这个问题",
            )
        )
    seen = set()
    for question in faq.questions:
        key = question_key(question)
        if key in seen:
            found.append(
                Finding(
                    "questions",
                    f"phrasing {question!r} is listed twice",
                    f"问法“{question}”重复了（不计标点和空格）",
                    question,
                )
            )
        seen.add(key)
    if not faq.answer:
        found.append(Finding("answer", "answer is empty", "请填写文字回答"))
    if len(faq.answer_voice) > MAX_VOICE_CHARS:
        found.append(
            Finding(
                "answer_voice",
                f"voice answer is too long ({len(faq.answer_voice)} characters, at most {MAX_VOICE_CHARS})",
                f"语音回答太长：{len(faq.answer_voice)} 个字，电话里最多 {MAX_VOICE_CHARS} 个字",
            )
        )
    unreadable = VOICE_UNREADABLE.search(faq.answer_voice)
    if unreadable:
        found.append(
            Finding(
                "answer_voice",
                f"voice answer contains something that can't be spoken ({unreadable.group()!r}): no links or symbols",
                f"语音回答里有念不出来的内容“{unreadable.group()}”：请不要使用网址或符号",
                unreadable.group(),
            )
        )
    return found


def entry_problems(faq: Faq) -> list[str]:
    return [finding.reason for finding in entry_findings(faq)]


def task_example_finding(question: str, intent: str) -> Finding:
    return Finding(
        "questions",
        f"phrasing {question!r} is a training example of the task intent {intent}",
        f"问法“{question}”已是业务意图 {intent} 的例句，同一句话不能既办业务又答常见问题",
        question,
    )


def other_faq_finding(question: str, other: Faq) -> Finding:
    return Finding(
        "questions",
        f"phrasing {question!r} is also in FAQ {other.id} ({other.origin})",
        f"问法“{question}”已在常见问题 {other.id} 中",
        question,
    )


def duplicate_id_finding(faq_id: str, first_origin: str) -> Finding:
    return Finding("id", f"duplicate id (first at {first_origin})", f"编号 {faq_id} 已被另一个常见问题使用", faq_id)


def findings_among(faq: Faq, others: list[Faq], tasks: Mapping[str, str]) -> list[Finding]:
    """Everything wrong with ``faq`` as one entry of a file that also holds ``others``."""
    found = entry_findings(faq)
    same_id = next((other for other in others if other.id == faq.id), None)
    if same_id is not None:
        found.append(duplicate_id_finding(faq.id, same_id.origin))
    owner = {question_key(q): other for other in others for q in other.questions}
    for question in faq.questions:
        key = question_key(question)
        if key in tasks:
            found.append(task_example_finding(question, tasks[key]))
        if key in owner:
            found.append(other_faq_finding(question, owner[key]))
    return found


def _problem(faq: Faq, finding: Finding) -> Problem:
    return Problem(faq.origin, faq.id, finding.reason, finding.field, finding.chinese, finding.item)


def problems(faqs: list[Faq], tasks: dict[str, str] | None = None) -> list[Problem]:
    tasks = task_examples() if tasks is None else tasks
    found = [_problem(f, finding) for f in faqs for finding in entry_findings(f)]
    by_id = defaultdict(list)
    owners = defaultdict(list)
    for faq in faqs:
        by_id[faq.id].append(faq)
        for question in faq.questions:
            key = question_key(question)
            owners[key].append((faq, question))
            if key in tasks:
                found.append(_problem(faq, task_example_finding(question, tasks[key])))
    for same in by_id.values():
        for faq in same[1:]:
            found.append(_problem(faq, duplicate_id_finding(faq.id, same[0].origin)))
    for entries in owners.values():
        ids = {faq.id for faq, _ in entries}
        if len(ids) > 1:
            first, question = entries[0]
            for faq, _ in entries[1:]:
                if faq.id != first.id:
                    found.append(_problem(faq, other_faq_finding(question, first)))
    return found
