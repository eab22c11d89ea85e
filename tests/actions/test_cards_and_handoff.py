import asyncio

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.models import Account, CreditLine, HandoffTicket
from actions.cards import (
    ActionSubmitCardLoss,
    ActionSubmitFraud,
    ValidateCardLossForm,
    ValidateFraudForm,
)
from actions.fallback import ActionAnswerWithoutTask, ActionClarify
from actions.forms import ActionCancelForm
from actions.handoff import ActionHandoff
from actions.questions import AskCardTail, AskInstallmentCount, AskProduct, AskRepayAmount
from tests.actions.conftest import make_tracker, run, slot_events, verified


def card_status(url, tail) -> str:
    with session_scope(url) as session:
        rows = list(session.scalars(select(Account))) + list(session.scalars(select(CreditLine)))
        return next(r.status for r in rows if r.card_number and r.card_number.endswith(tail))


def tickets(url) -> list[HandoffTicket]:
    with session_scope(url) as session:
        return list(session.scalars(select(HandoffTicket)))


def test_lost_card_is_frozen_after_confirmation(bank):
    texts, _, _ = run(ActionSubmitCardLoss(), make_tracker(verified(card_tail="1234", confirm=True)))
    assert "已为您冻结尾号1234的储蓄卡" in texts[0]
    assert card_status(bank, "1234") == "frozen"


def test_lost_card_is_not_frozen_without_confirmation(bank):
    run(ActionSubmitCardLoss(), make_tracker(verified(card_tail="1234", confirm=False)))
    assert card_status(bank, "1234") == "active"


def test_unknown_or_already_frozen_card(bank):
    dispatcher = CollectingDispatcher()
    result = ValidateCardLossForm().validate_card_tail("0000", dispatcher, make_tracker(verified()), {})
    assert result == {"card_tail": None}
    result = ValidateCardLossForm().validate_card_tail("5566", dispatcher, make_tracker(verified(2)), {})
    assert result == {"card_tail": None, "aborted": True}
    result = ValidateFraudForm().validate_card_tail("5566", dispatcher, make_tracker(verified(2)), {})
    assert result == {"card_tail": "5566", "confirm": True}


def test_fraud_freezes_and_opens_an_urgent_ticket(bank):
    texts, _, _ = run(ActionSubmitFraud(), make_tracker(verified(card_tail="5678", confirm=True), text="卡被盗刷了"))
    assert card_status(bank, "5678") == "frozen"
    [ticket] = tickets(bank)
    assert ticket.priority == "urgent" and ticket.number in texts[0]


def test_handoff_ticket_summarises_the_conversation(bank):
    events = [
        {"event": "user", "text": "查账单", "parse_data": {"intent": {"name": "query_bill"}}},
        {
            "event": "user",
            "text": "转人工",
            "parse_data": {"intent": {"name": "request_human"}},
            "metadata": {"desk": {"live": True, "open": True, "agents": 1, "hours": "09:00-21:00"}},
        },
    ]
    slots = verified(phone="13800138000", amount="500.00")
    texts, _, result = run(ActionHandoff(), make_tracker(slots, text="转人工", intent="request_human", events=events))
    [ticket] = tickets(bank)
    assert ticket.number in texts[0]
    assert "查询账单、转人工" in ticket.summary
    assert "138****8000" in ticket.summary and "13800138000" not in ticket.summary
    assert "金额 500.00" in ticket.summary
    assert slot_events(result)["amount"] is None


RANKING = [
    {"name": "nlu_fallback", "confidence": 0.6},
    {"name": "query_bill", "confidence": 0.3},
    {"name": "repay", "confidence": 0.2},
    {"name": "out_of_scope", "confidence": 0.1},
]


def test_first_miss_offers_the_two_likeliest_meanings():
    tracker = make_tracker(intent="nlu_fallback", ranking=RANKING, events=[{"event": "user"}])
    texts, buttons, events = run(ActionClarify(), tracker)
    assert "“查询账单”还是“还款”" in texts[0]
    assert [b["payload"] for b in buttons] == ["/query_bill", "/repay", "/nlu_fallback"]
    assert slot_events(events) == {"handoff_offered": False}


def test_second_miss_offers_a_human():
    events = [
        {"event": "user"},
        {"event": "action", "name": "action_clarify"},
        {"event": "action", "name": "action_listen"},
        {"event": "user"},
    ]
    tracker = make_tracker(intent="nlu_fallback", ranking=RANKING, events=events)
    texts, buttons, result = run(ActionClarify(), tracker)
    assert "人工客服" in texts[0]
    assert buttons[0]["payload"] == "/request_human"
    assert slot_events(result) == {"handoff_offered": True}


def test_cancel_leaves_the_form_and_clears_the_request():
    texts, _, events = run(ActionCancelForm(), make_tracker({"amount": "5.00"}))
    assert "已为您取消" in texts[0]
    assert slot_events(events)["amount"] is None


def test_questions_offer_buttons_with_entity_payloads(bank):
    _, buttons, _ = run(AskInstallmentCount(), make_tracker())
    assert buttons[2]["payload"] == '/inform{"installment_count": 12}'
    _, buttons, _ = run(AskRepayAmount(), make_tracker())
    assert AskRepayAmount().name() == "action_ask_repay_form_amount"
    _, buttons, _ = run(AskProduct(), make_tracker(verified(), active_loop="repay_form"))
    assert [b["title"] for b in buttons] == ["信用卡", "白条"]
    _, buttons, _ = run(AskCardTail(), make_tracker(verified(), active_loop="card_loss_form"))
    assert [b["title"] for b in buttons] == ["尾号1234", "尾号5678"]


def test_a_bare_value_without_a_task_asks_what_for_then_offers_the_tasks():
    said = [{"entity": "phone", "value": "13800138000"}]
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerWithoutTask().run(dispatcher, make_tracker(entities=said, events=[{"event": "user"}]), {}))
    assert dispatcher.messages[0]["response"] == "utter_verify_within_task"  # not asked to verify out of the blue
    again = [
        {"event": "user"},
        {"event": "action", "name": "action_answer_without_task"},
        {"event": "action", "name": "action_listen"},
        {"event": "user"},
    ]
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionAnswerWithoutTask().run(dispatcher, make_tracker(events=again), {}))
    assert dispatcher.messages[0]["response"] == "utter_choose_task"  # not the same question a second time
