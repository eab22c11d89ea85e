"""Editing the FAQ from the console: saved to the source in its own format, checked as
`make faq-validate` checks it, refused whole when anything is wrong."""

import dataclasses
import json

import pytest

from bot.editing import audit, faqs
from bot.editing.problems import Rejected
from bot.editing.workspace import FAQ_FILE, REPO_ROOT, EditConflict, PublishInProgress
from bot.faq import checks
from nlu import faq_source

NEW = faq_source.Faq(
    id="card_mail_time",
    category="银行卡与支付",
    questions=("新卡寄出来要多久", "补的卡几天能收到", "新卡什么时候寄到", "邮寄的银行卡多久到", "卡寄出后多久到手"),
    answer="新卡一般在5–7个工作日内寄达，寄出后会有短信通知。",
    answer_voice="新卡一般五到七个工作日寄到，寄出后会有短信通知。",
)


def faq(workspace, faq_id):
    return next(f for f in faqs.list_faqs(workspace) if f.id == faq_id)


def etag(workspace):
    return workspace.read(FAQ_FILE).etag


def test_the_file_is_written_back_byte_for_byte_in_its_own_format():
    text = (REPO_ROOT / FAQ_FILE).read_text(encoding="utf-8")
    assert faqs.text_of(faqs.parse(text)) == text


def test_search_looks_in_id_category_phrasings_and_answers(workspace):
    every = faqs.list_faqs(workspace)
    assert [f.id for f in faqs.search(every, "baitiao_intro")] == ["baitiao_intro"]
    assert {f.category for f in faqs.search(every, "白条")} >= {"白条"}
    assert "baitiao_intro" in [f.id for f in faqs.search(every, "我妈问我白条")]
    assert "baitiao_intro" in [f.id for f in faqs.search(every, "个人信用支付服务")]
    assert faqs.search(every, "") == every
    assert faqs.search(every, "没有这种内容xyz") == []


def test_a_saved_answer_is_in_the_source_which_still_validates(workspace):
    before, tag = faqs.get(workspace, "baitiao_intro")
    new_tag = faqs.save(
        workspace, dataclasses.replace(before, answer="白条是先消费、后付款的信用支付服务。"), tag, "wang"
    )
    assert new_tag == etag(workspace) != tag
    saved = faq_source.load(workspace.faq_file)
    assert faq(workspace, "baitiao_intro").answer == "白条是先消费、后付款的信用支付服务。"
    assert checks.problems(saved, checks.task_examples(workspace.nlu_dir)) == []
    assert workspace.read(FAQ_FILE).text.startswith(faq_source.HEADER)
    [entry] = audit.entries(workspace)
    assert (entry.staff, entry.action, entry.target, entry.detail) == (
        "wang",
        "faq.save",
        "baitiao_intro",
        {"changed": ["answer"]},
    )


def test_a_save_based_on_an_older_file_is_refused(workspace):
    before, tag = faqs.get(workspace, "baitiao_intro")
    faqs.save(workspace, dataclasses.replace(before, answer="第一位编辑的回答。"), tag, "wang")
    with pytest.raises(EditConflict):
        faqs.save(workspace, dataclasses.replace(before, answer="第二位编辑的回答。"), tag, "li")
    assert faq(workspace, "baitiao_intro").answer == "第一位编辑的回答。"


def test_every_problem_is_named_per_field_in_chinese_and_nothing_is_written(workspace):
    before, tag = faqs.get(workspace, "baitiao_intro")
    text = workspace.read(FAQ_FILE).text
    broken = dataclasses.replace(
        before,
        category="",
        questions=("白条是啥", "白条是啥？", "我卡丢了"),
        answer="",
        answer_voice="详见 www.bank.com",
    )
    with pytest.raises(Rejected) as refused:
        faqs.save(workspace, broken, tag, "wang")
    by_field = {}
    for problem in refused.value.problems:
        by_field.setdefault(problem.field, []).append(problem)
    assert set(by_field) == {"category", "questions", "answer", "answer_voice"}
    messages = " ".join(p.message for p in by_field["questions"])
    assert "至少需要 5 个" in messages and "重复" in messages and "report_card_loss" in messages
    assert [p.item for p in by_field["questions"] if "report_card_loss" in p.message] == ["我卡丢了"]
    assert "网址或符号" in by_field["answer_voice"][0].message
    assert workspace.read(FAQ_FILE).text == text
    assert audit.entries(workspace) == []


def test_a_phrasing_of_another_faq_names_that_faq(workspace):
    before, tag = faqs.get(workspace, "baitiao_open_conditions")
    taken = faq(workspace, "baitiao_intro").questions[0]
    with pytest.raises(Rejected) as refused:
        faqs.save(workspace, dataclasses.replace(before, questions=(*before.questions, taken)), tag, "wang")
    [problem] = refused.value.problems
    assert (problem.field, problem.item) == ("questions", taken)
    assert problem.message == f"问法“{taken}”已在常见问题 baitiao_intro 中"


def test_a_held_out_test_sentence_may_not_become_a_phrasing(workspace):
    before, tag = faqs.get(workspace, "baitiao_intro")
    with pytest.raises(Rejected) as refused:
        faqs.save(
            workspace, dataclasses.replace(before, questions=(*before.questions, "白条的 功能 是什么")), tag, "wang"
        )
    [problem] = refused.value.problems
    assert "评测集 tests/bot/faq/holdout.yml" in problem.message


def test_a_new_faq_is_appended_and_an_existing_id_is_refused(workspace):
    tag = faqs.add(workspace, NEW, etag(workspace), "wang")
    assert faqs.list_faqs(workspace)[-1] == NEW
    with pytest.raises(Rejected) as refused:
        faqs.add(workspace, dataclasses.replace(NEW, questions=("a1", "a2", "a3", "a4", "a5")), tag, "wang")
    assert [p.field for p in refused.value.problems] == ["id"]
    assert audit.entries(workspace)[0].action == "faq.add"


def test_switching_off_and_on_is_saved_and_recorded(workspace):
    tag = faqs.set_enabled(workspace, "baitiao_intro", False, etag(workspace), "wang")
    assert faq(workspace, "baitiao_intro").enabled is False
    faqs.set_enabled(workspace, "baitiao_intro", True, tag, "li")
    assert faq(workspace, "baitiao_intro").enabled is True
    assert [(e.staff, e.action) for e in faqs.history(workspace, "baitiao_intro")] == [
        ("li", "faq.enable"),
        ("wang", "faq.disable"),
    ]


def test_nothing_is_written_while_a_publish_is_training(workspace):
    before, tag = faqs.get(workspace, "baitiao_intro")
    with workspace.publish_lock("admin"), pytest.raises(PublishInProgress):
        faqs.save(workspace, dataclasses.replace(before, answer="新的回答。"), tag, "wang")
    assert faq(workspace, "baitiao_intro") == before


def test_add_phrasing_appends_it_and_records_who(workspace):
    faqs.add_phrasing(workspace, "baitiao_intro", "白条  这东西靠谱吗", "zhang")
    assert faq(workspace, "baitiao_intro").questions[-1] == "白条 这东西靠谱吗"
    [entry] = audit.entries(workspace)
    assert (entry.staff, entry.action, entry.target) == ("zhang", "faq.add_phrasing", "baitiao_intro")


def test_add_phrasing_of_another_faq_is_refused_and_nothing_is_written(workspace):
    before = workspace.read(FAQ_FILE).text
    with pytest.raises(Rejected) as refused:
        faqs.add_phrasing(workspace, "baitiao_open_conditions", "白条到底是个啥？", "zhang")
    [problem] = refused.value.problems
    assert problem.field == "questions" and "baitiao_intro" in problem.message
    assert workspace.read(FAQ_FILE).text == before
    assert audit.entries(workspace) == []


def test_add_phrasing_to_an_unknown_faq_is_a_key_error(workspace):
    with pytest.raises(KeyError):
        faqs.add_phrasing(workspace, "no_such_faq", "你好", "zhang")


def publish_as_is(workspace):
    """A published version laid out as bot/editing/versions.py keeps it."""
    folder = workspace.state / "versions" / "0001"
    (folder / "files" / FAQ_FILE).parent.mkdir(parents=True)
    (folder / "files" / FAQ_FILE).write_text(workspace.read(FAQ_FILE).text, encoding="utf-8")
    meta = {"number": 1, "at": 0, "staff": "system", "model": "m.tar.gz", "kind": "initial", "note": ""}
    (folder / "meta.json").write_text(json.dumps(meta), encoding="utf-8")
    (workspace.state / "versions" / "current").write_text("0001", encoding="utf-8")


def test_unpublished_changes_per_faq(workspace):
    assert faqs.unpublished(workspace) is None
    publish_as_is(workspace)
    assert faqs.unpublished(workspace) == []
    intro, tag = faqs.get(workspace, "baitiao_intro")
    tag = faqs.save(
        workspace,
        dataclasses.replace(intro, answer="新的回答。", questions=(*intro.questions[1:], "白条 这东西靠谱吗")),
        tag,
        "wang",
    )
    tag = faqs.set_enabled(workspace, "baitiao_open_conditions", False, tag, "wang")
    faqs.add(workspace, NEW, tag, "wang")
    changes = {change.id: change for change in faqs.unpublished(workspace)}
    assert set(changes) == {"baitiao_intro", "baitiao_open_conditions", "card_mail_time"}
    assert changes["baitiao_intro"].kind == "changed"
    assert changes["baitiao_intro"].fields["answer"] == {"old": intro.answer, "new": "新的回答。"}
    assert changes["baitiao_intro"].fields["questions"] == {
        "added": ["白条 这东西靠谱吗"],
        "removed": [intro.questions[0]],
    }
    assert changes["baitiao_open_conditions"].switched_off is True
    assert list(changes["baitiao_open_conditions"].fields) == ["enabled"]
    assert changes["card_mail_time"].kind == "added"


def test_a_removed_faq_shows_as_removed():
    published = [NEW, dataclasses.replace(NEW, id="other_faq")]
    [change] = faqs.compare(published, [NEW])
    assert (change.id, change.kind) == ("other_faq", "removed")
