"""The intents' training examples as the console edits them: list, add, edit and remove.

Every intent of the hand-written NLU files (bot/data/nlu/*.yml) may be edited: the banking tasks,
the conversational ones (greet, affirm, request_human, …), out_of_scope (what the bot declines)
and inform (what customers answer inside a form). Not faq.yml: it is generated from the FAQ
source (bot/faq/rasa_data.py), and FAQ phrasings are edited on the FAQ page.

A file is changed by splicing lines, never by re-dumping YAML: an edit touches the one line of
the example (or inserts one after the intent's last example) and every other byte — comments,
blank lines, quoting, annotations such as ``[1234](card_tail)`` — stays as it was. Examples are
shown as written, annotations visible; an edit of an annotated example must keep its annotations,
so a plain-text edit can't silently drop the entity the forms read.

The checks (Chinese, per field ``text``): not empty; at most ``MAX_EXAMPLE_CHARS``; not already an
example of any intent (same ``question_key``: equal after normalizing, punctuation and spaces
aside) nor a phrasing of an FAQ; not a held-out test sentence (bot/editing/heldout.py); square
brackets only as entity annotations of entities the domain declares. Removing keeps at least
``MIN_EXAMPLES``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from bot.editing import audit, faqs, heldout
from bot.editing.problems import FieldProblem, Rejected
from bot.editing.workspace import EditConflict, Workspace
from bot.faq import nlu_examples
from bot.faq.checks import GENERATED_NLU, question_key
from bot.faq.nlu_examples import ANNOTATION, Example
from nlu.intent_titles import INTENT_TITLES

log = logging.getLogger(__name__)

# The longest of the ~1,400 hand-written examples is 23 characters, the longest held-out sentence
# 18: customers ask in short messages. A text much longer than that is usually several requests
# in one, or a pasted paragraph, and teaches the classifier words that aren't about the intent.
MAX_EXAMPLE_CHARS = 50
# Every intent has at least 26 examples today (reset_password, change_phone, redeem_fund) and the
# quality gates were met with that; far fewer than the FAQ's 5 would do for an intent that must be
# told apart from 25 others, so removing stops at 25.
MIN_EXAMPLES = 25
ITEM_PREFIX = "- "

KINDS = {  # file stem → what the intents in it are, for grouping on the page
    "chitchat": "conversation",
    "dialogue": "conversation",
    "inform": "inform",
    "out_of_scope": "out_of_scope",
}


@dataclass(frozen=True)
class Block:
    """One ``- intent: … examples: |`` item of an NLU file."""

    intent: str
    file: Path  # relative to the workspace root
    examples: list[Example]
    indent: str  # of its example lines
    after: int  # 0-based line after which a new example is inserted


@dataclass(frozen=True)
class Intent:
    name: str
    title: str
    file: str
    kind: str  # "task" | "conversation" | "inform" | "out_of_scope"
    examples: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"name": self.name, "title": self.title, "file": self.file, "kind": self.kind, "examples": self.examples}


def blocks_of(text: str, relative: Path) -> list[Block]:
    """The intents' example blocks of one NLU file, with the lines they are on.

    Only literal blocks (``examples: |``) are editable: only there is each example a line."""
    lines = text.splitlines()
    return [_block(block, relative, lines) for block in nlu_examples.blocks(text) if block.literal]


def _block(block: nlu_examples.Block, relative: Path, lines: list[str]) -> Block:
    examples = [example for example in block.examples if example.line is not None]
    if not examples:
        return Block(block.intent, relative, [], " " * (block.column + 4), block.header_line)
    last = _line(examples[-1])
    indent = lines[last][: len(lines[last]) - len(lines[last].lstrip(" "))]
    return Block(block.intent, relative, examples, indent, last)


def _line(example: Example) -> int:
    if example.line is None:  # blocks_of keeps literal blocks only, whose examples all have a line
        raise ValueError(f"{example.text!r} is not on a line of its own")
    return example.line


def _nlu_files(workspace: Workspace) -> list[Path]:
    return [
        path.relative_to(workspace.root)
        for path in sorted(workspace.nlu_dir.glob("*.yml"))
        if path.name != GENERATED_NLU.name
    ]


def all_blocks(workspace: Workspace) -> list[Block]:
    return [block for relative in _nlu_files(workspace) for block in blocks_of(workspace.read(relative).text, relative)]


def kind_of(relative: Path) -> str:
    return KINDS.get(relative.stem, "task")


def list_intents(workspace: Workspace) -> list[Intent]:
    """Every editable intent with its examples, in the files' order."""
    found: dict[str, Intent] = {}
    for block in all_blocks(workspace):
        if block.intent not in found:
            found[block.intent] = Intent(
                block.intent, INTENT_TITLES.get(block.intent, block.intent), block.file.as_posix(), kind_of(block.file)
            )
        found[block.intent].examples.extend(example.text for example in block.examples)
    return list(found.values())


def task_intents(workspace: Workspace) -> list[str]:
    """The intents an example may be added to (every intent of the hand-written NLU files)."""
    return [intent.name for intent in list_intents(workspace)]


def get(workspace: Workspace, name: str) -> tuple[Intent, str]:
    """One intent and the etag of its file (KeyError: no such editable intent)."""
    for intent in list_intents(workspace):
        if intent.name == name:
            return intent, workspace.read(Path(intent.file)).etag
    raise KeyError(name)


def _blocks_of_intent(workspace: Workspace, name: str) -> tuple[Path, str, str, list[Block]]:
    """The file holding ``name``, its text and etag, and the intent's blocks in it."""
    for relative in _nlu_files(workspace):
        snapshot = workspace.read(relative)
        blocks = [block for block in blocks_of(snapshot.text, relative) if block.intent == name]
        if blocks:
            return relative, snapshot.text, snapshot.etag, blocks
    raise KeyError(name)


def clean(text: str) -> str:
    """One line, single spaces (a newline would end the example, a tab is never meant)."""
    return " ".join(str(text).split())


def _annotations(text: str) -> list[str]:
    """The annotations of an example as written, e.g. ["(card_tail)"] for "尾号[1234](card_tail)"."""
    return [match.group(0)[len(match.group(1)) + 2 :] for match in ANNOTATION.finditer(text)]


def _entity_of(annotation: str) -> str:
    if annotation.startswith("{"):
        try:
            return str(json.loads(annotation).get("entity") or "")
        except (ValueError, AttributeError):
            return ""
    return annotation[1:-1].split(":")[0].strip()


def _declared_entities(workspace: Workspace) -> set[str]:
    declared = set()
    for path in workspace.domain_dir.glob("*.yml"):
        for entity in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("entities") or []:
            declared.add(next(iter(entity)) if isinstance(entity, dict) else str(entity))
    return declared


def problems(workspace: Workspace, intent: str, text: str, replacing: str | None = None) -> list[FieldProblem]:
    """What is wrong with ``text`` as an example of ``intent`` (``replacing``: the example it edits)."""
    if not text:
        return [FieldProblem("text", "例句不能为空", text)]
    found = []
    plain = nlu_examples.plain(text)
    if len(plain) > MAX_EXAMPLE_CHARS:
        found.append(
            FieldProblem(
                "text",
                f"例句太长：{len(plain)} 个字，最多 {MAX_EXAMPLE_CHARS} 个字。客户的一句话通常很短，"
                "太长的例句往往混着几件事，会让机器人学到与这个意图无关的词",
                text,
            )
        )
    leftover = ANNOTATION.sub("", text)
    if "[" in leftover or "]" in leftover:
        found.append(
            FieldProblem(
                "text",
                "方括号 [ ] 在训练数据里只用于标注实体，例如 [1234](card_tail)；请去掉方括号或写完整的标注",
                text,
            )
        )
    unknown = sorted({_entity_of(a) for a in _annotations(text)} - _declared_entities(workspace))
    if unknown:
        found.append(FieldProblem("text", f"实体 {'、'.join(unknown)} 不在对话领域中，请使用已有的实体名", text))
    if replacing is not None and _annotations(replacing) != _annotations(text):
        found.append(
            FieldProblem(
                "text",
                f"原例句“{replacing}”标注了实体，修改后请原样保留这些标注（方括号里是客户说的内容，圆括号里是实体名）",
                text,
            )
        )
    key = question_key(plain)
    replaced = question_key(nlu_examples.plain(replacing)) if replacing is not None else None
    if key != replaced:
        found += _duplicates(workspace, intent, key, text)
    return found


def _duplicates(workspace: Workspace, intent: str, key: str, text: str) -> list[FieldProblem]:
    for block in all_blocks(workspace):
        for example in block.examples:
            if question_key(example.plain) == key:
                where = "这个意图" if block.intent == intent else f"意图 {_titled(block.intent)}"
                return [FieldProblem("text", f"“{example.text}”已是{where}的例句（不计标点和空格）", text)]
    for faq in faqs.list_faqs(workspace):
        if any(question_key(question) == key for question in faq.questions):
            return [FieldProblem("text", f"这句话已是常见问题 {faq.id} 的问法，同一句话只能归属一处", text)]
    measured = heldout.held_out(workspace)
    if key in measured:
        return [
            FieldProblem(
                "text",
                f"这句话是评测集 {measured[key]} 里的句子：评测集用来衡量机器人的水平，不能拿来训练，请换一种说法",
                text,
            )
        ]
    return []


def _titled(intent: str) -> str:
    title = INTENT_TITLES.get(intent)
    return f"{title}（{intent}）" if title else intent


def _splice(text: str, remove: int | None = None, insert_after: int | None = None, line: str = "") -> str:
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
        trailing = False
    else:
        trailing = True
    if remove is not None:
        if line:
            lines[remove] = line
        else:
            del lines[remove]
    elif insert_after is not None:
        lines.insert(insert_after + 1, line)
    result = "".join(lines)
    return result if trailing else result.removesuffix("\n")


def _find_example(blocks: list[Block], wanted: str) -> tuple[Block, Example]:
    for block in blocks:
        for example in block.examples:
            if example.text == wanted:
                return block, example
    raise KeyError(wanted)


def _check_current(etag: str | None, current: str, relative: Path) -> None:
    if etag is not None and etag != current:
        raise EditConflict(relative.as_posix())


def add_example(
    workspace: Workspace,
    intent: str,
    text: str,
    staff: str,
    etag: str | None = None,
    action: str = "intent.add_example",
) -> str:
    """Add ``text`` after the intent's last example; the file's new etag.

    ``etag``: the version the editor read (None: whatever is current, as the failures page does).
    Rejected when a check fails; KeyError when there is no such intent."""
    relative, current, current_etag, blocks = _blocks_of_intent(workspace, intent)
    _check_current(etag, current_etag, relative)
    example = clean(text)
    found = problems(workspace, intent, example)
    if found:
        raise Rejected(found)
    block = blocks[-1]
    new_text = _splice(current, insert_after=block.after, line=f"{block.indent}{ITEM_PREFIX}{example}\n")
    new_etag = workspace.write(relative, new_text, based_on=current_etag)
    audit.record(workspace, staff, action, intent, {"example": example, "file": relative.as_posix()})
    log.info("%s added an example to intent %s", staff, intent)
    return new_etag


def edit_example(workspace: Workspace, intent: str, old: str, text: str, staff: str, etag: str | None) -> str:
    """Replace the example ``old`` of ``intent`` by ``text``; the file's new etag (KeyError: no such example)."""
    relative, current, current_etag, blocks = _blocks_of_intent(workspace, intent)
    _check_current(etag, current_etag, relative)
    _block_of, example = _find_example(blocks, old)
    new = clean(text)
    if new == example.text:
        return current_etag
    found = problems(workspace, intent, new, replacing=example.text)
    if found:
        raise Rejected(found)
    line = current.splitlines()[_line(example)]
    indent = line[: len(line) - len(line.lstrip(" "))]
    new_text = _splice(current, remove=_line(example), line=f"{indent}{ITEM_PREFIX}{new}\n")
    new_etag = workspace.write(relative, new_text, based_on=current_etag)
    audit.record(workspace, staff, "intent.edit_example", intent, {"old": example.text, "new": new})
    log.info("%s edited an example of intent %s", staff, intent)
    return new_etag


def remove_example(workspace: Workspace, intent: str, old: str, staff: str, etag: str | None) -> str:
    """Remove the example ``old``; the file's new etag. Rejected when fewer than MIN_EXAMPLES would remain."""
    relative, current, current_etag, blocks = _blocks_of_intent(workspace, intent)
    _check_current(etag, current_etag, relative)
    _block_of, example = _find_example(blocks, old)
    remaining = sum(len(block.examples) for block in blocks) - 1
    if remaining < MIN_EXAMPLES:
        raise Rejected(
            [
                FieldProblem(
                    "example",
                    f"删除后只剩 {remaining} 个例句；每个意图至少要有 {MIN_EXAMPLES} 个，机器人才能把它和其他意图分清。"
                    "可以先添加新的例句再删除",
                    old,
                )
            ]
        )
    new_text = _splice(current, remove=_line(example))
    new_etag = workspace.write(relative, new_text, based_on=current_etag)
    audit.record(workspace, staff, "intent.remove_example", intent, {"example": example.text})
    log.info("%s removed an example of intent %s", staff, intent)
    return new_etag


def history(workspace: Workspace, intent: str, limit: int = 50) -> list[audit.AuditEntry]:
    entries = audit.entries(workspace, limit=100_000, action_prefix="intent.")
    return [entry for entry in entries if entry.target == intent][:limit]
