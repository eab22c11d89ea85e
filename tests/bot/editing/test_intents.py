"""Editing intents' examples from the console: checked, spliced into the file line by line."""

import pytest

from bot.editing import audit, intents
from bot.editing.problems import Rejected


def test_task_intents_are_the_hand_written_ones(workspace):
    names = intents.task_intents(workspace)
    assert {"check_balance", "report_card_loss", "greet", "out_of_scope", "inform"} <= set(names)
    assert "faq" not in names


def test_add_example_lands_in_the_intent_and_is_recorded(workspace):
    intents.add_example(workspace, "check_balance", "帮我瞅瞅卡里还剩几个钱", "li")
    intent, _ = intents.get(workspace, "check_balance")
    assert intent.examples[-1] == "帮我瞅瞅卡里还剩几个钱"
    [entry] = audit.entries(workspace)
    assert (entry.staff, entry.action, entry.target) == ("li", "intent.add_example", "check_balance")


def test_an_example_of_another_intent_is_refused(workspace):
    with pytest.raises(Rejected) as refused:
        intents.add_example(workspace, "check_balance", "我卡丢了！", "li")
    assert "report_card_loss" in refused.value.problems[0].message


def test_unknown_intent_is_a_key_error(workspace):
    with pytest.raises(KeyError):
        intents.add_example(workspace, "no_such_intent", "随便说一句", "li")
