"""Rasa's `faq` examples: a snapshot of the FAQ source's phrasings (bot/faq/rasa_data.py)."""

import yaml

from bot.faq import rasa_data
from bot.faq.__main__ import main
from nlu.faq_source import Faq


def test_the_committed_snapshot_says_it_is_generated_and_is_one_plain_intent():
    text = rasa_data.NLU_FILE.read_text(encoding="utf-8")
    assert text.startswith("# GENERATED from bot/faq/faqs.yml")
    items = yaml.safe_load(text)["nlu"]
    assert [item["intent"] for item in items] == ["faq"]
    assert len(items[0]["examples"].splitlines()) >= 500


def test_enabled_faqs_phrasings_become_examples_of_the_faq_intent():
    faqs = [
        Faq("a_one", "x", ("问一", "问二"), "答一", "说一"),
        Faq("b_two", "x", ("问三",), "答二"),
        Faq("c_off", "x", ("问四",), "答三", enabled=False),
    ]
    nlu = yaml.safe_load(rasa_data.nlu_yaml(faqs))["nlu"]
    assert nlu == [{"intent": "faq", "examples": "- 问一\n- 问二\n- 问三\n"}]


def test_the_snapshot_command_writes_the_source_phrasings(sandbox, capsys):
    assert main(["snapshot"]) == 0, capsys.readouterr().err
    examples = yaml.safe_load(rasa_data.NLU_FILE.read_text(encoding="utf-8"))["nlu"][0]["examples"]
    assert "- 白条到底是个啥\n" in examples
