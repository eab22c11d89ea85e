"""The runner behind the conversation tests and `make bench-dialogue`: its checks and measures."""

from decimal import Decimal
from pathlib import Path

import pytest

from tests.bench.dialogue import SCRIPTS, report
from tests.scripted_conversations import Outcome, Script, Turn, TurnResult, check_effects, check_reply, load_scripts

QUESTION = "请问要转多少钱？"


def outcome(*replies, asks_again=()):
    turns = [TurnResult(f"said {i}", reply, [], i in asks_again) for i, reply in enumerate(replies)]
    return Outcome(Script("x", [Turn(t.said) for t in turns]), turns, [])


def test_a_turn_is_stuck_when_the_whole_reply_is_the_previous_question_again():
    assert outcome(QUESTION, QUESTION).stuck_turns == 1
    assert outcome(QUESTION, f"不客气。\n{QUESTION}").stuck_turns == 0  # answered something first
    assert outcome(QUESTION, QUESTION, asks_again={1}).stuck_turns == 0  # scripted: not an answer
    assert outcome("工单号H000001，请稍候。", "工单号H000001，请稍候。").stuck_turns == 0  # not a question


def test_a_reply_must_not_be_empty_and_must_say_what_is_expected():
    assert check_reply(Turn("转账", expect=["手机号"]), "") == ["empty reply", "expected '手机号'"]
    assert check_reply(Turn("李娜", reject=["转给谁"]), "请问要转给谁？") == ["did not expect '转给谁'"]


def test_without_effects_nothing_may_move():
    before = ({"1234": Decimal("100.00")}, ["transfer"])
    assert check_effects(None, before, before) == []
    moved = ({"1234": Decimal("90.00")}, ["transfer", "transfer"])
    assert check_effects(None, before, moved) == [
        "savings 1234 changed by -10.00, expected 0",
        "audit records ['transfer'], expected []",
    ]
    assert check_effects({"savings": {"1234": "-10.00"}, "audit": ["transfer"]}, before, moved) == []


def test_scripts_with_duplicate_names_or_unknown_patterns_are_refused(tmp_path):
    (tmp_path / "a.yml").write_text(
        "conversations:\n  - name: a\n    turns: [{say: 你好}]\n  - name: a\n    turns: [{say: 你好}]\n",
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match="unique"):
        load_scripts(tmp_path)
    (tmp_path / "a.yml").write_text(
        "conversations:\n  - name: a\n    patterns: [smalltalk]\n    turns: [{say: 你好}]\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="smalltalk"):
        load_scripts(tmp_path)


def test_the_benchmark_has_its_own_forty_or_more_conversations():
    bench = load_scripts(SCRIPTS)
    tests = load_scripts(Path(__file__).parent / "conversations")
    assert len(bench) >= 40
    said = {tuple(t.say for t in s.turns) for s in tests}
    assert not [s.name for s in bench if tuple(t.say for t in s.turns) in said]


def test_the_report_meets_its_targets_only_with_no_stuck_or_empty_turn():
    good = outcome("请问要转给谁？", "请问要转多少钱？")
    text, met = report([good] * 19 + [outcome(QUESTION, QUESTION)])
    assert "task success             20/20 = 100.0%" in text and "stuck turns              1" in text
    assert not met
    assert report([good] * 20)[1]
