"""The examples of Rasa's NLU training data (``- intent: … examples: |``), read from a file's text.

Every reader of training examples in the project reads them here: the FAQ checks (a phrasing must
not be a task example), the console's intent editor (which splices lines, so it needs each
example's line), where a failed message can go, and the held-out sentences. An example is what
Rasa trains on: a line of the ``examples`` text starting with ``-``, the rest stripped; entity
annotations (``[1234](card_tail)``, ``[1234]{"entity": "card_tail"}``) are kept as written, and
``plain`` is what the customer typed. Rasa's own reader (RasaYAMLReader) gives neither the text as
written nor the lines, and loads all of Rasa."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import yaml

ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")
LEADING_SYMBOL = "-"


def plain(text: str) -> str:
    """An example as the customer typed it: annotations reduced to their text."""
    return ANNOTATION.sub(r"\1", text)


@dataclass(frozen=True)
class Example:
    intent: str
    text: str  # as written after "- ", annotations included
    line: int | None  # 0-based line of the file; None when the examples aren't a literal block (|)

    @property
    def plain(self) -> str:
        return plain(self.text)


@dataclass(frozen=True)
class Block:
    """One ``- intent: … examples: …`` item."""

    intent: str
    examples: tuple[Example, ...]
    column: int  # of the item's "intent:" key
    header_line: int  # 0-based line of "examples:"
    literal: bool  # written as a literal block (|): only then is each example on a line of its own


def blocks(text: str) -> list[Block]:
    """The intents' example blocks, in the file's order; other items (synonyms, lookups, regexes)
    aren't examples of an intent and are left out. yaml.YAMLError when the text isn't YAML."""
    root = yaml.compose(text)
    if not isinstance(root, yaml.MappingNode):
        return []
    found = []
    for key, value in root.value:
        if key.value != "nlu" or not isinstance(value, yaml.SequenceNode):
            continue
        for item in value.value:
            if not isinstance(item, yaml.MappingNode):
                continue
            fields = {k.value: v for k, v in item.value}
            intent, examples = fields.get("intent"), fields.get("examples")
            if isinstance(intent, yaml.ScalarNode) and isinstance(examples, yaml.ScalarNode) and intent.value:
                found.append(_block(str(intent.value), examples, item.start_mark.column))
    return found


def _block(intent: str, node: yaml.ScalarNode, column: int) -> Block:
    literal = node.style == "|"
    # a literal block's text starts on the line after its "|", one line of text a line of the file
    first_line = node.start_mark.line + 1
    examples = tuple(
        Example(intent, line[len(LEADING_SYMBOL) :].strip(), first_line + number if literal else None)
        for number, line in enumerate(str(node.value or "").splitlines())
        if line.startswith(LEADING_SYMBOL) and line[len(LEADING_SYMBOL) :].strip()
    )
    return Block(intent, examples, column, node.start_mark.line, literal)


def examples(text: str) -> list[Example]:
    """Every example of every intent, in the file's order (yaml.YAMLError when the text isn't YAML)."""
    return [example for block in blocks(text) for example in block.examples]


def task_examples(texts: Iterable[str]) -> list[Example]:
    """The examples of the files' intents other than the FAQ's (``faq``, ``faq/<id>``)."""
    return [example for text in texts for example in examples(text) if not is_faq(example.intent)]


def is_faq(intent: str) -> bool:
    return intent == "faq" or intent.startswith("faq/")
