"""One task interrupting another; offers that lapse; choices that are only what the bot accepts."""

import asyncio

from rasa_sdk.events import ActiveLoop, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.fallback import ActionCannotHandle, ActionClarify
from actions.forms import ActionCancelForm
from actions.pending import ValidateSlotMappings
from actions.questions import AskCardTail, AskTermMonths
from actions.repay import ValidateRepayForm
from actions.server import APOLOGY, ApologisingExecutor
from actions.tasks import ActionDropTask, ActionResumeTask, ActionSwitchTask, finish_task, restored_slots
from actions.transfer import ValidateTransferForm
from tests.actions.conftest import domain_for, make_tracker, run, slot_events, texts_of, verified

SUSPENDED = {"form": "repay_form", "slots": {"product": "credit_card", "card_tail": "1234"}}


def test_a_new_task_suspends_the_form_with_its_answers_before_the_message():
    events = [
        {"event": "slot", "name": "product", "value": "credit_card"},
        {"event": "slot", "name": "card_tail", "value": "1234"},
        {"event": "user", "text": "给李娜转五百块"},
        {"event": "slot", "name": "amount", "value": "500.00"},  # set by the message: the transfer's, not the repay's
    ]
    slots = verified(product="credit_card", card_tail="1234", amount="500.00", requested_slot="amount")
    tracker = make_tracker(slots, "给李娜转五百块", "transfer_money", active_loop="repay_form", events=events)
    texts, _, out = run(ActionSwitchTask(), tracker)
    assert texts == ["好的，先为您办理转账，刚才的还款稍后可以接着办。"]
    assert out[0] == ActiveLoop(None) and out[-1] == FollowupAction("transfer_form")
    assert slot_events(out)["suspended_task"] == SUSPENDED
    assert slot_events(out)["amount"] is None  # the transfer form reads 500 from the message again


def test_a_transfer_named_by_its_payee_alone_is_the_task_switched_to():
    said = [{"entity": "recipient", "value": "王强"}, {"entity": "amount", "value": "1200.00"}]
    tracker = make_tracker(
        verified(requested_slot="amount"), "先给王强打一千二过去", "inform", said, active_loop="repay_form"
    )
    texts, _, out = run(ActionSwitchTask(), tracker)
    assert texts == ["好的，先为您办理转账，刚才的还款稍后可以接着办。"] and out[-1] == FollowupAction("transfer_form")


def test_the_end_of_a_task_offers_the_suspended_one_back():
    dispatcher = CollectingDispatcher()
    events = finish_task(dispatcher, make_tracker({"suspended_task": SUSPENDED}))
    assert texts_of(dispatcher)[0] == "刚才的还款还要继续吗？"
    assert SlotSet("resume_offered", True) in events


def test_going_back_reopens_the_form_with_what_was_answered(bank):
    texts, _, out = run(ActionResumeTask(), make_tracker({"suspended_task": SUSPENDED, "resume_offered": True}))
    assert texts == ["好的，我们接着办还款。"] and out[-1] == FollowupAction("repay_form")
    tracker = make_tracker({"suspended_task": SUSPENDED}, active_loop=None)
    assert restored_slots(tracker, "repay_form") == {
        "product": "credit_card",
        "card_tail": "1234",
        "suspended_task": None,
        "resume_offered": False,
    }
    assert restored_slots(tracker, "transfer_form") == {}


def test_the_repay_form_starting_again_restores_the_suspended_answers(bank):
    tracker = make_tracker(verified(suspended_task=SUSPENDED), "好的，那继续还款吧", "repay")
    _, _, out = run(ValidateRepayForm(), tracker, domain_for("repay_form"))
    slots = slot_events(out)
    assert slots["product"] == "credit_card" and slots["suspended_task"] is None
    assert slots["requested_slot"] == "amount"  # the bill is known: the next question is the amount


def test_declining_drops_the_suspended_task():
    texts, _, out = run(ActionDropTask(), make_tracker({"suspended_task": SUSPENDED}))
    assert "刚才的还款就不办了" in texts[0]
    assert slot_events(out) == {"resume_offered": False, "suspended_task": None}


def test_cancelling_the_new_task_still_offers_the_suspended_one():
    texts, _, out = run(ActionCancelForm(), make_tracker({"suspended_task": SUSPENDED}, active_loop="transfer_form"))
    assert texts == ["好的，已为您取消，没有办理任何业务。", "刚才的还款还要继续吗？"]
    assert slot_events(out)["resume_offered"] is True


def validate_mappings(intent, **before):
    events = [{"event": "slot", "name": k, "value": v} for k, v in before.items()]
    events.append({"event": "user", "text": "…"})
    _, _, out = run(ValidateSlotMappings(), make_tracker(before, intent=intent, events=events))
    return slot_events(out)


def test_an_offer_is_answered_by_the_next_message_or_lapses():
    assert validate_mappings("affirm", handoff_offered=True) == {}
    assert validate_mappings("faq", handoff_offered=True) == {"handoff_offered": False}
    lapsed = validate_mappings("faq", resume_offered=True, suspended_task=SUSPENDED)
    assert lapsed == {"resume_offered": False, "suspended_task": None}
    # 继续还款 instead of 好的: the repay form restores the answers itself
    assert validate_mappings("repay", resume_offered=True, suspended_task=SUSPENDED) == {"resume_offered": False}


def test_a_yes_or_no_the_nlu_could_not_place_still_answers_the_offer():
    def mappings(text, intent, **before):
        events = [{"event": "slot", "name": k, "value": v} for k, v in before.items()] + [{"event": "user"}]
        _, _, out = run(ValidateSlotMappings(), make_tracker(before, text=text, intent=intent, events=events))
        return slot_events(out)

    assert mappings("嗯那就接着办吧", "nlu_fallback", resume_offered=True, suspended_task=SUSPENDED) == {}
    assert mappings("不用了", "cancel", resume_offered=True, suspended_task=SUSPENDED) == {}
    assert mappings("啊啊啊", "nlu_fallback", resume_offered=True, suspended_task=SUSPENDED) == {
        "resume_offered": False,
        "suspended_task": None,
    }
    offered = {"resume_offered": True, "suspended_task": SUSPENDED}
    _, _, out = run(ActionClarify(), make_tracker(offered, text="嗯那就接着办吧", intent="nlu_fallback"))
    assert out == [FollowupAction("action_resume_task")]
    _, _, out = run(ActionCannotHandle(), make_tracker(offered, text="先不办了", intent="out_of_scope"))
    assert out == [FollowupAction("action_drop_task")]
    _, _, out = run(ActionClarify(), make_tracker({"handoff_offered": True}, text="不需要", intent="nlu_fallback"))
    assert out == [FollowupAction("action_decline_handoff")]


def test_a_frozen_card_is_not_offered_and_the_only_usable_one_is_used(bank):
    _, buttons, _ = run(AskCardTail(), make_tracker(verified(2), active_loop="transfer_form"))
    assert [b["title"] for b in buttons] == ["尾号8899"]  # 5566 is frozen
    found = asyncio.run(ValidateTransferForm().default_card_tail(CollectingDispatcher(), make_tracker(verified(2)), {}))
    assert found == {"card_tail": "8899"}


def test_the_third_ask_of_the_same_question_offers_a_person():
    texts, buttons, _ = run(AskTermMonths(), make_tracker({"unanswered_turns": 1}, active_loop="loan_form"))
    assert len(texts) == 1 and "转人工" not in texts[0]
    texts, buttons, _ = run(AskTermMonths(), make_tracker({"unanswered_turns": 2}, active_loop="loan_form"))
    assert texts[0].startswith("请问您想借多久") and "转人工" in texts[1]
    assert buttons[-1] == {"title": "转人工", "payload": "/request_human"}


def test_an_action_that_fails_apologises_and_ends_the_task(monkeypatch):
    executor = ApologisingExecutor()

    async def broken(*_args):
        raise RuntimeError("database is down")

    executor.actions["action_submit_transfer"] = broken
    call = {"next_action": "action_submit_transfer", "tracker": {"sender_id": "x", "slots": {}, "events": []}}
    response = asyncio.run(executor.run(call))
    assert response["responses"] == [{"text": APOLOGY}]
    assert ActiveLoop(None) in response["events"]
