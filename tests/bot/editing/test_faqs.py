"""Editing the FAQ from the console: saved to the source in its own format, checked as
`make faq-validate` checks it, refused whole when anything is wrong."""

import pytest

from bot.editing import audit, faqs
from bot.editing.problems import Rejected
from bot.editing.workspace import FAQ_FILE


def test_add_phrasing_appends_it_and_records_who(workspace):
    faqs.add_phrasing(workspace, "baitiao_intro", "白条  这东西靠谱吗", "zhang")
    faq = next(f for f in faqs.list_faqs(workspace) if f.id == "baitiao_intro")
    assert faq.questions[-1] == "白条 这东西靠谱吗"
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
