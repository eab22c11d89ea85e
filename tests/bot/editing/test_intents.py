"""Editing intents' examples from the console: checked in Chinese, spliced into the file line by
line so every other byte stays, and the file still loads as Rasa training data."""

from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from bot.editing import audit, intents
from bot.editing.problems import Rejected
from bot.editing.workspace import REPO_ROOT, EditConflict, PublishInProgress

NLU_FILES = sorted(p for p in (REPO_ROOT / "bot" / "data" / "nlu").glob("*.yml") if p.name != "faq.yml")
CARDS = Path("bot/data/nlu/cards.yml")
ANNOTATED = "尾号[6789](card_tail)的卡被盗刷了"


def examples(workspace, name):
    return intents.get(workspace, name)[0].examples


def etag(workspace, relative=Path("bot/data/nlu/account.yml")):
    return workspace.read(relative).etag


def trained(workspace, relative):
    """(text, intent, entities) as Rasa reads the file."""
    data = load_data(str(workspace.root / relative))
    return [(m.get("text"), m.get("intent"), m.get("entities") or []) for m in data.intent_examples]


@pytest.mark.parametrize("path", NLU_FILES, ids=lambda p: p.stem)
def test_every_example_is_found_on_its_line_and_an_undone_edit_gives_the_identical_file(path):
    text = path.read_text(encoding="utf-8")
    relative = path.relative_to(REPO_ROOT)
    blocks = intents.blocks_of(text, relative)
    lines = text.splitlines()
    rasa = [t for t, _, _ in trained(type("W", (), {"root": REPO_ROOT})(), relative)]
    assert sorted({e.plain for b in blocks for e in b.examples}) == sorted(set(rasa))
    for block in blocks:
        for example in block.examples:
            assert lines[example.line].strip() == f"- {example.text}"
        added = intents._splice(text, insert_after=block.after, line=f"{block.indent}- 新加的一句\n")
        again = intents.blocks_of(added, relative)
        [new] = [e for b in again for e in b.examples if e.text == "新加的一句"]
        assert intents._splice(added, remove=new.line) == text


def test_task_intents_are_every_hand_written_intent(workspace):
    names = intents.task_intents(workspace)
    assert {"check_balance", "report_card_loss", "greet", "affirm", "out_of_scope", "inform"} <= set(names)
    assert "faq" not in names and len(names) == len(set(names))
    kinds = {i.name: i.kind for i in intents.list_intents(workspace)}
    assert (kinds["check_balance"], kinds["greet"], kinds["inform"]) == ("task", "conversation", "inform")
    assert intents.get(workspace, "check_balance")[0].title == "查询余额"


def test_an_added_example_is_one_new_line_that_rasa_trains_on(workspace):
    relative = Path("bot/data/nlu/account.yml")
    before = workspace.read(relative).text
    intents.add_example(workspace, "check_balance", "帮我瞅瞅卡里还剩几个钱", "li", etag(workspace))
    after = workspace.read(relative).text
    assert sorted(set(after.splitlines()) - set(before.splitlines())) == ["    - 帮我瞅瞅卡里还剩几个钱"]
    assert len(after.splitlines()) == len(before.splitlines()) + 1
    assert ("帮我瞅瞅卡里还剩几个钱", "check_balance", []) in trained(workspace, relative)
    assert examples(workspace, "check_balance")[-1] == "帮我瞅瞅卡里还剩几个钱"
    [entry] = audit.entries(workspace)
    assert (entry.staff, entry.action, entry.target) == ("li", "intent.add_example", "check_balance")


def test_edit_and_remove_change_only_that_line(workspace):
    relative = Path("bot/data/nlu/account.yml")
    first = examples(workspace, "check_balance")[0]
    tag = intents.edit_example(workspace, "check_balance", first, "我想看看余额还有多少", "li", etag(workspace))
    assert examples(workspace, "check_balance")[0] == "我想看看余额还有多少"
    intents.remove_example(workspace, "check_balance", "我想看看余额还有多少", "li", tag)
    assert "我想看看余额还有多少" not in examples(workspace, "check_balance")
    assert first not in examples(workspace, "check_balance")
    assert [e.action for e in intents.history(workspace, "check_balance")] == [
        "intent.remove_example",
        "intent.edit_example",
    ]
    assert len(trained(workspace, relative)) == sum(
        len(examples(workspace, i)) for i in ("check_balance", "query_transactions", "reset_password", "change_phone")
    )


@pytest.mark.parametrize(
    "text, wanted",
    [
        ("   ", "不能为空"),
        ("我" * 51, "例句太长：51 个字，最多 50 个字"),
        ("我卡丢了！", "已是意图 银行卡挂失（report_card_loss）的例句"),
        ("查 余额", "已是这个意图的例句"),
        ("白条到底是个啥", "已是常见问题 baitiao_intro 的问法"),
        ("帮我看下卡里余额", "评测集 tests/nlu_holdout.yml"),
        ("卡里有[多少]钱", "方括号"),
        ("尾号[1234](no_such_entity)的余额", "实体 no_such_entity 不在对话领域中"),
    ],
)
def test_a_bad_example_is_refused_with_the_reason_and_nothing_is_written(workspace, text, wanted):
    before = workspace.read(Path("bot/data/nlu/account.yml")).text
    with pytest.raises(Rejected) as refused:
        intents.add_example(workspace, "check_balance", text, "li", etag(workspace))
    assert any(wanted in p.message and p.field == "text" for p in refused.value.problems), refused.value.problems
    assert workspace.read(Path("bot/data/nlu/account.yml")).text == before
    assert audit.entries(workspace) == []


def test_removing_below_the_minimum_is_refused(workspace):
    tag = etag(workspace)
    for text in examples(workspace, "reset_password")[: 26 - intents.MIN_EXAMPLES]:
        tag = intents.remove_example(workspace, "reset_password", text, "li", tag)
    last = examples(workspace, "reset_password")[0]
    with pytest.raises(Rejected) as refused:
        intents.remove_example(workspace, "reset_password", last, "li", tag)
    [problem] = refused.value.problems
    assert problem.field == "example" and f"至少要有 {intents.MIN_EXAMPLES} 个" in problem.message
    assert last in examples(workspace, "reset_password")


def test_an_annotated_example_is_shown_as_written_and_its_annotation_kept(workspace):
    path = workspace.root / CARDS
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("    - 信用卡被偷了 帮我挂失\n", f"    - 信用卡被偷了 帮我挂失\n    - {ANNOTATED}\n"),
        encoding="utf-8",
    )
    assert ANNOTATED in examples(workspace, "report_card_loss")
    with pytest.raises(Rejected) as refused:
        intents.edit_example(
            workspace, "report_card_loss", ANNOTATED, "尾号6789的卡被盗刷了 快冻结", "li", etag(workspace, CARDS)
        )
    assert "标注了实体" in refused.value.problems[0].message
    intents.edit_example(
        workspace,
        "report_card_loss",
        ANNOTATED,
        "尾号[6789](card_tail)的卡被盗刷了 快冻结",
        "li",
        etag(workspace, CARDS),
    )
    entities = [e for t, _, e in trained(workspace, CARDS) if t == "尾号6789的卡被盗刷了 快冻结"]
    assert [(e["entity"], e["value"]) for e in entities[0]] == [("card_tail", "6789")]


def test_a_stale_or_locked_file_is_not_written(workspace):
    tag = etag(workspace)
    intents.add_example(workspace, "check_balance", "帮我瞅瞅卡里还剩几个钱", "li", tag)
    with pytest.raises(EditConflict):
        intents.add_example(workspace, "check_balance", "余额给我报一下", "wang", tag)
    with workspace.publish_lock("admin"), pytest.raises(PublishInProgress):
        intents.add_example(workspace, "check_balance", "余额给我报一下", "wang")


def test_unknown_intent_or_example_is_a_key_error(workspace):
    with pytest.raises(KeyError):
        intents.add_example(workspace, "no_such_intent", "随便说一句", "li")
    with pytest.raises(KeyError):
        intents.remove_example(workspace, "check_balance", "没有这句", "li", etag(workspace))
