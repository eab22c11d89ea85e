"""What each seeded conversation was: channel, turns, intents, FAQs, fallbacks, hand-off, forms, outcome."""

import pytest

from bot.review.events import SUBMIT_ACTIONS
from bot.review.summary import build, form_outcomes
from bot.rules import FORMS
from tests.bot.review.conversations import Talk, china

EXPECTED = {
    # sender: channel, turns, intents, faqs, fallbacks, low confidence, handed off, agent, callback, forms, outcome
    "faq-chat": ("chat", 2, ("faq",), ("annual_fee",), 0, 0, False, False, False, {}, "contained"),
    "form-submitted": (
        "chat", 4, ("transfer_money",), (), 0, 1, False, False, False, {"transfer_form": "submitted"}, "contained",
    ),
    "form-cancelled": ("chat", 3, ("repay",), (), 0, 0, False, False, False, {"repay_form": "cancelled"}, "contained"),
    "fallback": (
        "chat", 3, ("check_balance",), (), 2, 1, False, False, False, {"balance_form": "started"}, "contained",
    ),
    "handoff-agent": ("chat", 3, ("complain",), (), 0, 0, True, True, False, {}, "handed_off"),
    "callback": ("chat", 3, ("faq", "request_human"), ("annual_fee",), 0, 0, False, False, True, {}, "callback"),
    "call-1": ("call", 3, ("query_bill",), (), 1, 1, False, False, False, {"bill_form": "submitted"}, "contained"),
    "call-2": ("call", 2, ("faq",), ("annual_fee",), 0, 0, False, False, False, {}, "contained"),
    "chat-next-week": ("chat", 3, ("faq",), ("cancel_card", "annual_fee"), 0, 0, False, False, False, {}, "contained"),
}  # fmt: skip


@pytest.mark.parametrize("sender", sorted(EXPECTED))
def test_each_seeded_conversation_is_summarised_as_it_went(summaries, sender):
    summary = summaries[sender]
    channel, turns, intents, faqs, fallbacks, low, handed_off, agent, callback, forms, outcome = EXPECTED[sender]
    assert (summary.sender_id, summary.channel, summary.customer_turns) == (sender, channel, turns)
    assert (summary.intents, summary.faqs) == (intents, faqs)
    assert (summary.fallbacks, summary.low_confidence) == (fallbacks, low)
    assert (summary.handed_off, summary.agent, summary.callback) == (handed_off, agent, callback)
    assert dict(summary.forms) == forms
    assert summary.outcome == outcome


def test_times_are_the_first_and_last_event():
    talk = Talk("t", "2026-03-02", "10:00").customer("你好", "greet").action("utter_greet").bot("您好", "utter_greet")
    summary = build([event.as_dict() for event in talk.events], "t")
    assert summary.started_at == china("2026-03-02", "10:00")
    assert summary.ended_at == china("2026-03-02", "10:00") + len(talk.events) - 1


def test_as_dict_is_plain_json():
    talk = (
        Talk("t", "2026-03-02", "10:00").customer("查余额", "check_balance").form_starts("balance_form", "?", "phone")
    )
    data = build([event.as_dict() for event in talk.events], "t").as_dict()
    assert data["intents"] == ["check_balance"] and data["faqs"] == []
    assert data["forms"] == {"balance_form": "started"}
    assert data["sender_id"] == "t" and data["outcome"] == "contained" and data["channel"] == "chat"


def test_a_queued_handoff_counts_without_an_agent():
    talk = (
        Talk("t", "2026-03-02", "10:00")
        .customer("人工", "request_human")
        .action("action_handoff")
        .bot("正在为您转接人工客服，工单号H000001。", "utter_handed_off")
        .bot(None, custom={"handoff": {"ticket": "H000001"}})
    )
    summary = build([event.as_dict() for event in talk.events])
    assert (summary.handed_off, summary.agent, summary.outcome) == (True, False, "handed_off")


def test_a_callback_offer_alone_is_no_callback():
    talk = (
        Talk("t", "2026-03-02", "22:00")
        .customer("人工", "request_human")
        .action("action_handoff")
        .bot("需要回电吗？", "utter_handoff_closed_offer_callback")
        .customer("不用了", "deny")
        .action("action_decline_callback")
        .bot("好的。", "utter_callback_declined")
    )
    summary = build([event.as_dict() for event in talk.events])
    assert (summary.handed_off, summary.callback, summary.outcome) == (False, False, "contained")


def test_a_form_suspended_for_another_task_then_resumed_and_submitted_is_submitted():
    events = [
        {"event": "active_loop", "name": "repay_form"},
        {"event": "user", "text": "先转账", "parse_data": {"intent": {"name": "transfer_money"}}},
        {"event": "action", "name": "action_switch_task"},
        {"event": "active_loop", "name": None},
        {"event": "active_loop", "name": "transfer_form"},
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_submit_transfer"},
        {"event": "action", "name": "action_resume_task"},
        {"event": "active_loop", "name": "repay_form"},
        {"event": "active_loop", "name": None},
        {"event": "action", "name": "action_submit_repay"},
    ]
    assert form_outcomes(events) == {"repay_form": "submitted", "transfer_form": "submitted"}


def test_a_suspended_form_never_resumed_is_cancelled():
    events = [
        {"event": "active_loop", "name": "repay_form"},
        {"event": "active_loop", "name": None},
        {"event": "active_loop", "name": "transfer_form"},
    ]
    assert form_outcomes(events) == {"repay_form": "cancelled", "transfer_form": "started"}


def test_a_submit_action_outside_its_form_is_no_submission():
    events = [{"event": "action", "name": "action_show_balance"}, {"event": "active_loop", "name": "bill_form"}]
    assert form_outcomes(events) == {"bill_form": "started"}


def test_messages_the_gateway_sends_are_not_customer_turns():
    talk = Talk("t", "2026-03-02", "10:00", channel="voice").system().system("/request_human", "request_human")
    summary = build([event.as_dict() for event in talk.events])
    assert (summary.customer_turns, summary.intents, summary.channel) == (0, (), "call")


def test_the_form_to_submit_action_table_is_the_rules_one():
    assert {form: submit for _intent, form, submit in FORMS} == SUBMIT_ACTIONS


def test_no_events_no_conversation():
    summary = build([])
    assert (summary.customer_turns, summary.started_at, summary.outcome) == (0, 0.0, "contained")
