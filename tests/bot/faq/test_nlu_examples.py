"""The one reader of NLU training examples: what Rasa trains on, as written, with its line."""

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLReader

from bot.faq import nlu_examples
from bot.servers import REPO_ROOT

TEXT = """\
version: "3.1"
nlu:
- intent: report_lost_card
  examples: |
    - 我的卡丢了
    - 尾号[1234](card_tail)的卡丢了
    - 尾号[5678]{"entity": "card_tail"}的卡找不到了

- synonym: 信用卡
  examples: |
    - 贷记卡
- intent: faq
  examples: |
    - 营业时间是几点
- intent: greet
  examples: "- 你好\\n- 您好\\n"
"""


def test_examples_as_written_with_their_lines_and_as_typed():
    found = nlu_examples.examples(TEXT)
    lines = TEXT.splitlines()
    assert [(e.intent, e.text) for e in found[:3]] == [
        ("report_lost_card", "我的卡丢了"),
        ("report_lost_card", "尾号[1234](card_tail)的卡丢了"),
        ("report_lost_card", '尾号[5678]{"entity": "card_tail"}的卡找不到了'),
    ]
    assert [e.plain for e in found[:3]] == ["我的卡丢了", "尾号1234的卡丢了", "尾号5678的卡找不到了"]
    for example in found[:4]:
        assert lines[example.line] == f"    - {example.text}"
    assert [(e.intent, e.text, e.line) for e in found[4:]] == [("greet", "你好", None), ("greet", "您好", None)]


def test_a_synonym_is_no_example_and_the_faqs_are_not_tasks():
    assert {e.intent for e in nlu_examples.examples(TEXT)} == {"report_lost_card", "faq", "greet"}
    assert {e.intent for e in nlu_examples.task_examples([TEXT])} == {"report_lost_card", "greet"}
    (block,) = [b for b in nlu_examples.blocks(TEXT) if b.intent == "greet"]
    assert not block.literal


def test_text_that_is_not_yaml_is_an_error():
    with pytest.raises(yaml.YAMLError):
        nlu_examples.examples("nlu:\n- intent: greet\n  examples: |\n- [")
    assert nlu_examples.examples("- just a list\n") == []


@pytest.mark.parametrize(
    "path",
    sorted((REPO_ROOT / "bot" / "data" / "nlu").glob("*.yml")) + sorted(REPO_ROOT.glob("tests/nlu_holdout*.yml")),
    ids=lambda path: path.name,
)
def test_the_same_examples_rasa_trains_on(path: Path):
    text = path.read_text(encoding="utf-8")
    rasa = RasaYAMLReader().reads(text)
    theirs = {(m.get("intent"), m.get("text")) for m in rasa.intent_examples}  # Rasa drops repeated examples
    assert {(e.intent, e.plain) for e in nlu_examples.examples(text)} == theirs
