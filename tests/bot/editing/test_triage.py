"""Staff decisions about failed messages: assigned as an FAQ phrasing or an intent example (written to
the workspace's copy of the sources by the editing functions), refused with the checks' problems or
because of a personal number, dismissed; kept across reads, audited, and whether published yet."""

import json
import shutil
from pathlib import Path

import pytest

from bot.editing import audit, triage
from bot.editing.problems import FieldProblem, Rejected
from bot.editing.workspace import PublishInProgress, Workspace
from bot.review.failures import FALLBACK, FailedMessage, message_key
from bot.review.masking import mask

NEW_FAQ_WORDS = "白条这东西到底咋回事呢"
NEW_EXAMPLE = "帮我瞅瞅卡里还有几个钱"


def failed(text: str, n: int = 1, conversation: str = "web-1") -> FailedMessage:
    at = 1772416800.0 + n
    return FailedMessage(message_key(conversation, at, text), conversation, at, "chat", mask(text), (FALLBACK,),
                         "nlu_fallback", 0.4, original=text)  # fmt: skip


def faq_questions(workspace: Workspace, faq_id: str) -> list[str]:
    import yaml

    return next(e["questions"] for e in yaml.safe_load(workspace.faq_file.read_text("utf-8")) if e["id"] == faq_id)


def test_assigning_to_an_faq_adds_the_customers_words_as_a_phrasing_and_records_who(workspace):
    message = failed(NEW_FAQ_WORDS)
    outcome = triage.assign(workspace, [message], "faq:baitiao_intro", "zhou")
    assert (outcome.done, outcome.refused, outcome.version) == ([message.key], {}, 1)
    assert faq_questions(workspace, "baitiao_intro")[-1] == NEW_FAQ_WORDS
    decision = triage.decisions(workspace)[message.key]
    assert (decision.status, decision.target, decision.staff, decision.text) == (
        "assigned", "faq:baitiao_intro", "zhou", NEW_FAQ_WORDS,
    )  # fmt: skip
    actions = [(entry.action, entry.target) for entry in audit.entries(workspace)]
    assert ("triage.assign", "faq:baitiao_intro") in actions and ("faq.add_phrasing", "baitiao_intro") in actions
    assert triage.published_in(workspace, triage.decisions(workspace)) == {message.key: None}  # waits for 发布


def test_assigning_to_an_intent_adds_an_example_to_its_nlu_file(workspace):
    message = failed(NEW_EXAMPLE)
    outcome = triage.assign(workspace, [message], "intent:check_balance", "zhou")
    assert outcome.done == [message.key]
    account = (workspace.nlu_dir / "account.yml").read_text("utf-8")
    assert f"    - {NEW_EXAMPLE}\n" in account
    assert triage.status_of(message.key, triage.decisions(workspace)) == triage.ASSIGNED


def test_the_checks_refusal_comes_back_with_its_problems_and_the_message_stays_open(workspace):
    before = workspace.faq_file.read_text("utf-8")
    taken = failed("查余额")  # an example of check_balance
    outcome = triage.assign(workspace, [taken], "faq:baitiao_intro", "zhou")
    assert outcome.done == []
    [problem] = outcome.refused[taken.key]
    assert problem.item == "查余额" and "check_balance" in problem.message
    assert workspace.faq_file.read_text("utf-8") == before
    assert triage.status_of(taken.key, triage.decisions(workspace)) == triage.OPEN
    [entry] = audit.entries(workspace, action_prefix="triage.")
    assert entry.detail["refused"] == [{"key": taken.key, "problems": [problem.message]}]


def test_a_message_with_a_personal_number_is_never_added(workspace):
    before = workspace.faq_file.read_text("utf-8")
    personal = failed("我的卡6222021234567890123白条用不了")
    assert personal.personal
    outcome = triage.assign(workspace, [personal], "faq:baitiao_intro", "zhou")
    [problem] = outcome.refused[personal.key]
    assert problem == FieldProblem("text", triage.PERSONAL, "我的卡***************0123白条用不了")
    assert workspace.faq_file.read_text("utf-8") == before
    assert "6222021234567890123" not in (workspace.state / audit.AUDIT_FILE).read_text("utf-8")


def test_assign_calls_the_editing_function_once_for_the_same_words_and_not_at_all_when_already_there(workspace):
    calls = []

    def add(workspace_, name, text, staff):
        calls.append((workspace_, name, text, staff))

    same = [failed(" 网点几点开门 ", 1, "a"), failed("网点几点开门", 2, "b")]
    there = failed("白条到底是个啥", 3)  # already a phrasing of baitiao_intro
    outcome = triage.assign(workspace, [*same, there], "faq:baitiao_intro", "zhou", add=add)
    assert calls == [(workspace, "baitiao_intro", "网点几点开门", "zhou")]
    assert outcome.done == [same[0].key, same[1].key, there.key]


def test_a_rejection_from_the_editing_function_refuses_every_message_with_those_words(workspace):
    def add(*_args):
        raise Rejected([FieldProblem("questions", "问法“网点几点开门”已在常见问题 branch_hours 中", "网点几点开门")])

    same = [failed("网点几点开门", 1, "a"), failed("网点几点开门", 2, "b")]
    outcome = triage.assign(workspace, same, "intent:check_balance", "zhou", add=add)
    assert outcome.done == [] and set(outcome.refused) == {same[0].key, same[1].key}
    assert outcome.as_dict()["refused"][0]["problems"][0]["message"].startswith("问法“网点几点开门”")


def test_dismissing_is_kept_and_audited_and_an_assigned_message_cannot_be_dismissed(workspace):
    assigned, other = failed(NEW_FAQ_WORDS, 1), failed("叽里咕噜", 2)
    triage.assign(workspace, [assigned], "faq:baitiao_intro", "zhou")
    outcome = triage.dismiss(workspace, [assigned, other], "boss")
    assert outcome.done == [other.key] and list(outcome.refused) == [assigned.key]
    again = Workspace.at(workspace.root, workspace.state)  # a fresh read of the state
    decided = triage.decisions(again)
    assert {key: d.status for key, d in decided.items()} == {assigned.key: "assigned", other.key: "dismissed"}
    assert decided[other.key].staff == "boss" and decided[other.key].text == "叽里咕噜"
    [entry] = audit.entries(again, action_prefix="triage.dismiss")
    assert entry.staff == "boss" and entry.detail["dismissed"] == [{"key": other.key, "text": "叽里咕噜"}]


def test_a_dismissed_message_is_reopened_audited_and_only_a_dismissed_one(workspace):
    assigned, dismissed, untouched = failed(NEW_FAQ_WORDS, 1), failed("叽里咕噜", 2), failed("啊吧啊吧", 3)
    triage.assign(workspace, [assigned], "faq:baitiao_intro", "zhou")
    triage.dismiss(workspace, [dismissed], "boss")
    outcome = triage.reopen(workspace, [assigned, dismissed, untouched], "zhou")
    assert outcome.done == [dismissed.key] and list(outcome.refused) == [assigned.key, untouched.key]
    assert "已归入 faq:baitiao_intro" in outcome.refused[assigned.key][0].message
    assert "没有被忽略" in outcome.refused[untouched.key][0].message
    decided = triage.decisions(Workspace.at(workspace.root, workspace.state))
    assert triage.status_of(dismissed.key, decided) == triage.OPEN
    assert decided[assigned.key].status == triage.ASSIGNED  # untouched by the refusal
    [entry] = audit.entries(workspace, action_prefix="triage.reopen")
    assert entry.staff == "zhou"
    assert entry.detail["reopened"] == [{"key": dismissed.key, "text": "叽里咕噜", "dismissed_by": "boss"}]
    again = triage.reopen(workspace, [dismissed], "zhou")  # a second editor, a moment later
    assert again.done == [] and list(again.refused) == [dismissed.key]
    assert len(audit.entries(workspace, action_prefix="triage.reopen")) == 1
    assert triage.dismiss(workspace, [dismissed], "li").done == [dismissed.key]  # and it may be dismissed again


def test_an_assignment_is_published_once_the_running_version_holds_its_words(workspace):
    message = failed(NEW_FAQ_WORDS)
    triage.assign(workspace, [message], "faq:baitiao_intro", "zhou")
    version = workspace.state / "versions" / "0001"
    for relative in workspace.editable():
        (version / "files" / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(workspace.root / relative, version / "files" / relative)
    (version / "meta.json").write_text(json.dumps({"number": 1, "at": 1.0, "staff": "zhou"}), "utf-8")
    (workspace.state / "versions" / "current").write_text("0001", "utf-8")
    assert triage.published_in(workspace, triage.decisions(workspace)) == {message.key: 1}
    assert triage.next_version(workspace) == 2


def test_an_assignment_whose_words_were_taken_out_of_the_sources_since_says_so(workspace):
    message = failed(NEW_FAQ_WORDS)
    triage.assign(workspace, [message], "faq:baitiao_intro", "zhou")
    assert triage.in_sources(workspace, triage.decisions(workspace)) == {message.key: True}
    text = workspace.faq_file.read_text("utf-8")
    workspace.faq_file.write_text(text.replace(f"  - {NEW_FAQ_WORDS}\n", ""), "utf-8")  # e.g. a rollback
    assert triage.in_sources(workspace, triage.decisions(workspace)) == {message.key: False}


def test_nothing_is_added_while_a_publish_runs(workspace):
    with workspace.publish_lock("boss"), pytest.raises(PublishInProgress):
        triage.assign(workspace, [failed(NEW_FAQ_WORDS)], "faq:baitiao_intro", "zhou")
    assert triage.decisions(workspace) == {}


def test_an_unknown_faq_or_a_malformed_target_is_refused(workspace):
    with pytest.raises(KeyError):
        triage.assign(workspace, [failed(NEW_FAQ_WORDS)], "faq:no_such_faq", "zhou")
    with pytest.raises(ValueError):
        triage.assign(workspace, [failed(NEW_FAQ_WORDS)], "answer:x", "zhou")


def test_a_missing_state_file_or_a_record_of_another_shape_reads_as_nothing_decided(workspace):
    assert triage.decisions(workspace) == {}
    workspace.state.mkdir(parents=True)
    (workspace.state / triage.TRIAGE_FILE).write_text(json.dumps({"messages": {"k": {"bogus": 1}}}), "utf-8")
    assert triage.decisions(workspace) == {}
    assert Path(workspace.state / triage.TRIAGE_FILE).exists()
