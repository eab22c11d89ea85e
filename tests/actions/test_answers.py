"""Reading a message inside a form: bare answers, corrections, and what is not an answer."""

import pytest
from rasa_sdk.events import ActionExecutionRejected, FollowupAction

from actions.answers import bare_answer, corrections, yes_or_no
from actions.loan import ValidateLoanForm
from actions.repay import ValidateRepayForm
from actions.transfer import ValidateTransferForm
from tests.actions.conftest import domain_for, make_tracker, run, slot_events, verified


def entity(name, value, start=0, end=0, role=None):
    found = {"entity": name, "value": value, "start": start, "end": end}
    return {**found, "role": role} if role else found


def in_form(form, text, intent="inform", entities=(), **slots):
    """The tracker a form's validator gets for the customer's latest message."""
    requested = slots.pop("requested_slot")
    values = verified(requested_slot=requested, **slots)
    events = [{"event": "slot", "name": k, "value": v} for k, v in values.items()]
    events += [{"event": "action", "name": "action_listen"}, {"event": "user", "text": text}]
    return make_tracker(values, text=text, intent=intent, entities=entities, active_loop=form, events=events)


@pytest.mark.parametrize(
    "slot, text, entities, form, value",
    [
        ("amount", "2000", [entity("number", "2000", 0, 4)], "transfer_form", "2000.00"),
        ("amount", "全部", [], "repay_form", "full"),
        ("card_tail", "幺二三四", [entity("number", "1234", 0, 4)], "repay_form", "1234"),
        ("card_tail", "12", [entity("number", "12", 0, 2)], "repay_form", None),  # not four digits
        ("term_months", "十二", [entity("number", "12", 0, 2)], "loan_form", 12),
        ("term_months", "分12期", [entity("installment_count", 12, 0, 4)], "loan_form", 12),
        ("installment_count", "第三个", [entity("ordinal", 3, 0, 3)], "installment_form", 12),
        ("loan_purpose", "第一个", [entity("ordinal", 1, 0, 3)], "loan_form", "装修"),
        ("confirm", "对，冻结吧", [], "card_loss_form", True),
        ("confirm", "确认转账", [], "transfer_form", True),
        ("confirm", "先不还了", [], "repay_form", False),
        ("confirm", "好的，那继续还款吧", [], "repay_form", True),  # back at the confirmation after a digression
    ],
)
def test_a_bare_answer_fills_the_slot_the_form_asked_for(slot, text, entities, form, value):
    tracker = make_tracker({"requested_slot": slot}, text=text, entities=entities, active_loop=form)
    assert bare_answer(slot, tracker) == value


def test_an_option_by_position_is_the_option_the_bot_offered(bank):
    tracker = make_tracker(verified(), text="第二个", entities=[entity("ordinal", 2)], active_loop="repay_form")
    assert bare_answer("product", tracker) == "baitiao"  # the buttons were 信用卡, 白条


def test_a_value_taken_back_is_replaced_in_the_slot_that_held_it():
    said = [entity("number", "1234", 2, 6, role="negated"), entity("number", "5678", 8, 12)]
    tracker = make_tracker({"card_tail": "1234", "amount": "500.00"}, text="不是1234，是5678", entities=said)
    assert corrections(tracker, ["amount", "card_tail", "confirm"]) == {"card_tail": "5678"}
    said = [entity("amount", "2000.00", role="negated"), entity("amount", "3000.00")]
    tracker = make_tracker({"amount": "2000.00"}, text="不是两千，是三千", entities=said)
    assert corrections(tracker, ["amount"]) == {"amount": "3000.00"}


def test_a_new_task_inside_a_form_is_rejected_and_changes_nothing(bank):
    """给李娜转五百块 while repaying: the rules suspend the repayment; its amount is not 500."""
    said = [entity("recipient", "李娜", 1, 3), entity("amount", "500.00", 4, 7)]
    tracker = in_form(
        "repay_form", "给李娜转五百块", "transfer_money", said, product="credit_card", requested_slot="amount"
    )
    tracker.events.append({"event": "slot", "name": "amount", "value": "500.00"})  # as Rasa's mapping set it
    tracker.slots["amount"] = "500.00"
    texts, _, events = run(ValidateRepayForm(), tracker, domain_for("repay_form"))
    assert events[0] == ActionExecutionRejected("repay_form")
    assert slot_events(events)["amount"] is None
    assert texts == []


@pytest.mark.parametrize(
    "text, intent",
    [("等一下，先帮我查一下余额", "check_balance"), ("最低还款是怎么算的？", "faq"), ("转人工吧", "request_human")],
)
def test_a_question_or_request_inside_a_form_goes_to_the_rules(bank, text, intent):
    said = [entity("repay_mode", "minimum", 0, 4)] if "最低" in text else []
    tracker = in_form("repay_form", text, intent, said, product="credit_card", requested_slot="amount")
    _, _, events = run(ValidateRepayForm(), tracker, domain_for("repay_form"))
    assert events[0] == ActionExecutionRejected("repay_form")


def test_a_task_named_only_by_its_entities_suspends_the_form(bank):
    said = [entity("recipient", "王强", 4, 6), entity("amount", "1200.00", 7, 10)]
    tracker = in_form(
        "repay_form", "哦对了，先给王强打一千二过去", "inform", said, product="baitiao", requested_slot="amount"
    )
    tracker.slots["amount"] = "1200.00"  # as Rasa's mapping set it from the message
    tracker.events.append({"event": "slot", "name": "amount", "value": "1200.00"})
    _, _, events = run(ValidateRepayForm(), tracker, domain_for("repay_form"))
    assert events[0] == ActionExecutionRejected("repay_form") and events[-1] == FollowupAction("action_switch_task")
    assert slot_events(events)["amount"] is None  # the repayment's amount is not the transfer's


@pytest.mark.parametrize(
    "text, reading",
    [
        ("对", True),
        ("确认", True),
        ("对，马上冻结", True),
        ("嗯 扣 吧", True),
        ("好的没问题", True),
        ("不对", False),
        ("不", False),
        ("不确认", False),
        ("先不还了", False),
        ("我再想想，先不还了", False),
        ("算了", False),
        ("不需要", False),
        ("先不办了", False),
        ("好的，不用了", False),
        ("嗯 不对", False),
        ("对不对我也不知道", None),  # both: left to the intent
        ("我想先问一下最低还款是怎么算的呢", None),  # too long to be a bare yes or no
        ("……", None),
    ],
)
def test_a_short_reply_reads_as_yes_or_no(text, reading):
    assert yes_or_no(text) is reading


def test_a_yes_to_another_question_is_not_rejected_and_the_question_comes_again(bank):
    tracker = in_form("loan_form", "对的", "affirm", amount="30000.00", requested_slot="term_months")
    _, _, events = run(ValidateLoanForm(), tracker, domain_for("loan_form"))
    assert not any(e.get("event") == "action_execution_rejected" for e in events)
    assert slot_events(events)["unanswered_turns"] == 1


def test_an_answer_with_more_words_is_still_the_answer(bank):
    said = [entity("loan_purpose", "医疗", 0, 2)]
    tracker = in_form(
        "loan_form",
        "医疗 家里人住院",
        "out_of_scope",
        said,
        amount="20000.00",
        term_months=12,
        requested_slot="loan_purpose",
    )
    tracker.events.append({"event": "slot", "name": "loan_purpose", "value": "医疗"})
    tracker.slots["loan_purpose"] = "医疗"
    _, _, events = run(ValidateLoanForm(), tracker, domain_for("loan_form"))
    assert slot_events(events)["loan_purpose"] == "医疗"
    assert slot_events(events)["unanswered_turns"] == 0


def test_a_value_given_before_it_was_asked_for_is_said_back(bank):
    said = [entity("amount", "2000.00", 0, 2)]
    tracker = in_form("transfer_form", "两千", "inform", said, card_tail="1234", requested_slot="recipient")
    tracker.events.append({"event": "slot", "name": "amount", "value": "2000.00"})
    tracker.slots["amount"] = "2000.00"
    texts, _, events = run(ValidateTransferForm(), tracker, domain_for("transfer_form"))
    assert texts == ["好的，金额是¥2,000.00。"]
    assert slot_events(events)["amount"] == "2000.00"


def test_a_correction_at_the_confirmation_asks_again_with_the_new_value(bank):
    said = [entity("number", "1234", 2, 6, role="negated"), entity("number", "5678", 8, 12)]
    tracker = in_form("card_loss_form", "不是1234，是5678", "deny", said, card_tail="1234", requested_slot="confirm")
    tracker.events.append({"event": "slot", "name": "confirm", "value": False})  # Rasa maps the no
    tracker.slots["confirm"] = False
    from actions.cards import ValidateCardLossForm

    _, _, events = run(ValidateCardLossForm(), tracker, domain_for("card_loss_form"))
    slots = slot_events(events)
    assert slots["card_tail"] == "5678" and slots["confirm"] is None and slots["requested_slot"] == "confirm"
