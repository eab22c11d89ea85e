"""The FAQ as the console edits it: list, search, add, edit, switch off and on, and what changed
since the last publish.

Everything is saved to bot/faq/faqs.yml (the same file `make faq-validate`, the spreadsheet
commands and training read), in the file's own format, through ``Workspace.write`` with the etag
the editor read: a save based on an older file is refused (``EditConflict``), never merged. A
save is checked as `make faq-validate` checks the file (bot/faq/checks.py) plus one check of the
console's own: a new phrasing must not be a held-out test sentence. Any problem refuses the whole
save (``Rejected``) and nothing is written."""

from __future__ import annotations

import functools
import logging
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from bot.editing import audit, heldout, versions
from bot.editing.problems import FieldProblem, Rejected
from bot.editing.workspace import FAQ_FILE, EditConflict, Workspace
from bot.faq import checks
from nlu import faq_source
from nlu.faq_source import Faq

log = logging.getLogger(__name__)
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FIELDS = faq_source.FIELDS  # id, category, questions, answer, answer_voice, enabled


@dataclass(frozen=True)
class FaqFile:
    faqs: list[Faq]
    etag: str  # the version of bot/faq/faqs.yml these were read from


def parse(text: str, name: str = FAQ_FILE.as_posix()) -> list[Faq]:
    """The entries of a FAQ file's text, each knowing its line (as ``faq_source.load`` reads a path)."""
    return list(_parsed(text, name))


@functools.lru_cache(maxsize=8)
def _parsed(text: str, name: str) -> tuple[Faq, ...]:
    try:  # libyaml: the file is read on every page load and check, the pure Python parser is slow
        node = yaml.compose(text, Loader=_LOADER)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as error:
        raise faq_source.FaqFormatError(f"{name}: not valid YAML: {error}") from error
    if data is None or node is None:
        return ()
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise faq_source.FaqFormatError(f"{name}: expected a list of FAQ entries (id, category, questions, …)")
    lines = [item.start_mark.line + 1 for item in node.value]
    return tuple(faq_source.from_mapping(raw, f"{name}:{line}") for raw, line in zip(data, lines, strict=True))


def text_of(faqs: list[Faq]) -> str:
    """The file's text for ``faqs``, exactly as ``faq_source.dump`` writes it (header comment included)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "faqs.yml"
        faq_source.dump(faqs, path)
        return path.read_text(encoding="utf-8")


def read(workspace: Workspace) -> FaqFile:
    snapshot = workspace.read(FAQ_FILE)
    return FaqFile(parse(snapshot.text), snapshot.etag)


def list_faqs(workspace: Workspace) -> list[Faq]:
    return read(workspace).faqs


def matches(faq: Faq, query: str) -> bool:
    """Whether ``query`` is in the FAQ's id, category, a phrasing or an answer (case and spaces aside)."""
    wanted = "".join(query.lower().split())
    if not wanted:
        return True
    texts = (faq.id, faq.category, faq.answer, faq.answer_voice, *faq.questions)
    return any(wanted in "".join(text.lower().split()) for text in texts)


def search(faqs: list[Faq], query: str) -> list[Faq]:
    return [faq for faq in faqs if matches(faq, query)]


def get(workspace: Workspace, faq_id: str) -> tuple[Faq, str]:
    """One FAQ and the etag of the file it was read from (KeyError: no such id)."""
    current = read(workspace)
    return _find(current.faqs, faq_id), current.etag


def _find(faqs: list[Faq], faq_id: str) -> Faq:
    for faq in faqs:
        if faq.id == faq_id:
            return faq
    raise KeyError(faq_id)


def problems(workspace: Workspace, faq: Faq, others: list[Faq], before: Faq | None = None) -> list[FieldProblem]:
    """What would make ``faq`` fail `make faq-validate` in a file with ``others``, in Chinese per field;
    and any phrasing new since ``before`` that is a held-out test sentence."""
    tasks = checks.task_examples(workspace.nlu_dir)
    found = [FieldProblem(f.field, f.chinese, f.item) for f in checks.findings_among(faq, others, tasks)]
    measured = heldout.held_out(workspace)
    old = {checks.question_key(q) for q in before.questions} if before else set()
    for question in faq.questions:
        key = checks.question_key(question)
        if key in measured and key not in old:
            found.append(
                FieldProblem(
                    "questions",
                    f"问法“{question}”是评测集 {measured[key]} 里的句子：评测集用来衡量机器人的水平，"
                    "不能拿来训练，请换一种说法",
                    question,
                )
            )
    return found


def _write(workspace: Workspace, faqs: list[Faq], etag: str) -> str:
    return workspace.write(FAQ_FILE, text_of(faqs), based_on=etag)


def _current(workspace: Workspace, etag: str) -> FaqFile:
    """The file as it is now, if it is still the version the editor read (else EditConflict)."""
    current = read(workspace)
    if current.etag != etag:
        raise EditConflict(FAQ_FILE.as_posix())
    return current


def add(workspace: Workspace, faq: Faq, etag: str, staff: str) -> str:
    """Append a new FAQ; the file's new etag."""
    current = _current(workspace, etag)
    found = problems(workspace, faq, current.faqs)
    if found:
        raise Rejected(found)
    new_etag = _write(workspace, [*current.faqs, faq], etag)
    audit.record(workspace, staff, "faq.add", faq.id, {"faq": faq.as_dict()})
    log.info("%s added FAQ %s", staff, faq.id)
    return new_etag


def save(workspace: Workspace, faq: Faq, etag: str, staff: str) -> str:
    """Replace the FAQ with ``faq.id`` by ``faq`` (KeyError: no such id); the file's new etag."""
    current = _current(workspace, etag)
    before = _find(current.faqs, faq.id)
    others = [other for other in current.faqs if other.id != faq.id]
    found = problems(workspace, faq, others, before)
    if found:
        raise Rejected(found)
    changed = changed_fields(before, faq)
    if not changed:
        return etag
    new_etag = _write(workspace, [faq if other.id == faq.id else other for other in current.faqs], etag)
    audit.record(workspace, staff, "faq.save", faq.id, {"changed": changed})
    log.info("%s saved FAQ %s (%s)", staff, faq.id, ", ".join(changed))
    return new_etag


def set_enabled(workspace: Workspace, faq_id: str, enabled: bool, etag: str, staff: str) -> str:
    """Switch an FAQ off (customers no longer get its answer after the publish) or back on.

    Switching on checks the entry like a save; switching off does not (an entry with a problem may
    always be taken out of service)."""
    current = _current(workspace, etag)
    before = _find(current.faqs, faq_id)
    faq = replace(before, enabled=enabled)
    if enabled:
        found = problems(workspace, faq, [other for other in current.faqs if other.id != faq_id], before)
        if found:
            raise Rejected(found)
    if before.enabled is enabled:
        return etag
    new_etag = _write(workspace, [faq if other.id == faq_id else other for other in current.faqs], etag)
    audit.record(workspace, staff, "faq.enable" if enabled else "faq.disable", faq_id, {})
    log.info("%s switched FAQ %s %s", staff, faq_id, "on" if enabled else "off")
    return new_etag


def add_phrasing(workspace: Workspace, faq_id: str, text: str, staff: str) -> None:
    """Add one customer phrasing to an FAQ (the failures page assigns a message this way).

    Rejected when it is empty or breaks a check; KeyError when there is no such FAQ."""
    current = read(workspace)
    before = _find(current.faqs, faq_id)
    phrasing = " ".join(text.split())
    if not phrasing:
        raise Rejected([FieldProblem("questions", "问法不能为空")])
    faq = replace(before, questions=(*before.questions, phrasing))
    others = [other for other in current.faqs if other.id != faq_id]
    # Only what the new phrasing causes: an entry that already had a problem may still gain phrasings.
    found = [p for p in problems(workspace, faq, others, before) if p.item == phrasing]
    if found:
        raise Rejected(found)
    _write(workspace, [faq if other.id == faq_id else other for other in current.faqs], current.etag)
    audit.record(workspace, staff, "faq.add_phrasing", faq_id, {"phrasing": phrasing})
    log.info("%s added a phrasing to FAQ %s", staff, faq_id)


def changed_fields(before: Faq, after: Faq) -> list[str]:
    return [name for name in FIELDS if getattr(before, name) != getattr(after, name)]


@dataclass(frozen=True)
class FaqChange:
    """One FAQ as it differs from the published version."""

    id: str
    kind: str  # "added" | "changed" | "removed"
    fields: dict[str, dict] = field(default_factory=dict)  # name → {"old", "new"}; questions: {"added", "removed"}
    switched_off: bool = False  # changed: enabled went from true to false
    switched_on: bool = False

    def as_dict(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "fields": self.fields,
            "switched_off": self.switched_off,
            "switched_on": self.switched_on,
        }


def _field_change(name: str, old: Faq, new: Faq) -> dict:
    if name == "questions":
        old_keys = {checks.question_key(q) for q in old.questions}
        new_keys = {checks.question_key(q) for q in new.questions}
        return {
            "added": [q for q in new.questions if checks.question_key(q) not in old_keys],
            "removed": [q for q in old.questions if checks.question_key(q) not in new_keys],
        }
    return {"old": getattr(old, name), "new": getattr(new, name)}


def compare(published: list[Faq], current: list[Faq]) -> list[FaqChange]:
    """Per FAQ, what ``current`` adds, changes and removes against ``published`` (in the file's order)."""
    before = {faq.id: faq for faq in published}
    now = {faq.id for faq in current}
    found = []
    for faq in current:
        old = before.get(faq.id)
        if old is None:
            found.append(
                FaqChange(faq.id, "added", {name: {"old": None, "new": getattr(faq, name)} for name in FIELDS})
            )
            continue
        names = changed_fields(old, faq)
        if names:
            found.append(
                FaqChange(
                    faq.id,
                    "changed",
                    {name: _field_change(name, old, faq) for name in names},
                    switched_off=old.enabled is True and faq.enabled is False,
                    switched_on=old.enabled is False and faq.enabled is True,
                )
            )
    found += [FaqChange(faq.id, "removed") for faq in published if faq.id not in now]
    return found


def unpublished(workspace: Workspace) -> list[FaqChange] | None:
    """What the FAQ source changes against the published version; None when nothing was published yet."""
    text = versions.published_text(workspace, FAQ_FILE)
    if text is None:
        return None
    return compare(parse(text) if text else [], list_faqs(workspace))


def history(workspace: Workspace, faq_id: str, limit: int = 50) -> list[audit.AuditEntry]:
    """Who changed this FAQ from the console, newest first."""
    entries = audit.entries(workspace, limit=100_000, action_prefix="faq.")
    return [entry for entry in entries if entry.target == faq_id][:limit]
