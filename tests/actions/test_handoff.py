"""Handing over to a person: live when the desk has someone, else an honest call-back offer."""

import asyncio

from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.models import CallbackRequest, HandoffTicket, TicketResolution
from actions.handoff import (
    ActionAgentClosed,
    ActionAgentGaveBack,
    ActionAgentJoined,
    ActionDeclineCallback,
    ActionHandoff,
    ActionRegisterCallback,
)
from tests.actions.conftest import make_tracker, run, slot_events, verified

OPEN_DESK = {"live": True, "open": True, "agents": 2, "hours": "09:00-21:00"}


def asked_for_a_person(desk=None, slots=None, earlier=()):
    events = [
        *earlier,
        {
            "event": "user",
            "text": "我要转人工",
            "parse_data": {"intent": {"name": "request_human"}},
            "metadata": {"desk": desk} if desk is not None else {},
        },
    ]
    return make_tracker(slots or {}, text="我要转人工", intent="request_human", events=events)


def rows(url, model):
    with session_scope(url) as session:
        return [{c.name: getattr(r, c.name) for c in model.__table__.columns} for r in session.scalars(select(model))]


def custom_messages(tracker):
    dispatcher = CollectingDispatcher()
    asyncio.run(ActionHandoff().run(dispatcher, tracker, {}))
    return [m["custom"] for m in dispatcher.messages if m.get("custom")]


def test_with_an_agent_free_the_conversation_is_queued_for_the_desk_with_a_masked_card(bank):
    earlier = [{"event": "user", "text": "查账单", "parse_data": {"intent": {"name": "query_bill"}}}]
    tracker = asked_for_a_person(OPEN_DESK, verified(phone="13800138000"), earlier)
    texts, _, events = run(ActionHandoff(), tracker)
    [ticket] = rows(bank, HandoffTicket)
    assert "正在为您转接人工客服" in texts[0] and ticket["number"] in texts[0]
    [custom] = custom_messages(asked_for_a_person(OPEN_DESK, verified(phone="13800138000"), earlier))
    card = custom["handoff"]
    assert card["priority"] == "normal"
    assert card["summary"]["intents"] == ["查询账单", "转人工"]
    assert "138****8000" in card["summary"]["customer"] and "13800138000" not in str(card)
    tracker = asked_for_a_person(OPEN_DESK, verified(amount="minimum", product="credit_card", card_tail="1234"))
    [custom] = custom_messages(tracker)
    assert custom["handoff"]["summary"]["filled"] == ["金额 最低还款额", "产品 信用卡", "卡尾号 1234"]
    assert slot_events(events)["handoff_offered"] is False


def test_a_customer_locked_out_of_verification_is_urgent(bank):
    [custom] = custom_messages(asked_for_a_person(OPEN_DESK, {"locked": True}))
    assert custom["handoff"]["priority"] == "urgent"
    assert "已锁定" in custom["handoff"]["summary"]["customer"]


def test_nobody_online_outside_hours_or_no_desk_each_says_so_and_offers_a_call_back(bank):
    cases = {
        "没有可以接入的人工客服": {**OPEN_DESK, "agents": 0},
        "不在人工客服的服务时间（每天9:00至21:00）": {**OPEN_DESK, "open": False},
        "这里暂时无法直接接通人工客服": None,
    }
    for said, desk in cases.items():
        texts, buttons, events = run(ActionHandoff(), asked_for_a_person(desk))
        assert said in texts[0]
        assert [b["title"] for b in buttons] == ["登记回电", "不用了"]
        assert slot_events(events) == {"handoff_offered": False, "callback_offered": True}
    assert rows(bank, HandoffTicket) == []  # no ticket that promises a person nobody will be


def test_a_call_back_keeps_the_number_to_dial_only_in_its_own_row(bank):
    tracker = make_tracker(verified(phone="13800138000", callback_offered=True), text="好的", intent="affirm")
    texts, _, events = run(ActionRegisterCallback(), tracker)
    [ticket], [callback] = rows(bank, HandoffTicket), rows(bank, CallbackRequest)
    assert callback["phone"] == "13800138000" and callback["ticket_id"] == ticket["id"]
    assert "13800138000" not in ticket["summary"] and "回电请求" in ticket["summary"]
    assert ticket["number"] in texts[0] and "尾号8000" in texts[0]
    assert slot_events(events) == {"callback_offered": False, "callback_phone_asked": False}


def test_without_a_number_the_call_back_asks_for_one_then_again_if_it_is_wrong(bank):
    texts, _, events = run(ActionRegisterCallback(), make_tracker({"callback_offered": True}, intent="affirm"))
    assert "11位手机号码" in texts[0] and slot_events(events) == {
        "callback_offered": False,
        "callback_phone_asked": True,
    }
    wrong = make_tracker({"callback_offered": True, "callback_phone_asked": True, "phone": "12345"})
    texts, _, _ = run(ActionRegisterCallback(), wrong)
    assert "这个号码好像不对" in texts[0]
    right = make_tracker({"callback_offered": True, "callback_phone_asked": True, "phone": "13912345678"})
    run(ActionRegisterCallback(), right)
    assert [c["phone"] for c in rows(bank, CallbackRequest)] == ["13912345678"]


def test_declining_the_call_back_registers_nothing(bank):
    texts, _, events = run(ActionDeclineCallback(), make_tracker({"callback_offered": True}, intent="deny"))
    assert "不登记回电" in texts[0] and rows(bank, HandoffTicket) == []
    assert slot_events(events)["callback_offered"] is False


def test_the_agent_giving_back_or_closing_resolves_the_ticket_with_the_note(bank):
    run(ActionHandoff(), asked_for_a_person(OPEN_DESK))
    texts, _, _ = run(ActionAgentJoined(), make_tracker({"agent_name": "王敏"}))
    assert texts == ["人工客服王敏已接入，接下来由王敏为您服务。"]
    note = "客户已自行还款，卡号6222020200001234已核实"
    texts, _, _ = run(ActionAgentClosed(), make_tracker({"agent_name": "王敏", "handoff_note": note}))
    assert "本次人工服务已结束" in texts[0]
    [ticket], [resolution] = rows(bank, HandoffTicket), rows(bank, TicketResolution)
    assert ticket["status"] == "closed"
    assert (resolution["agent"], resolution["how"]) == ("王敏", "closed")
    assert "6222020200001234" not in resolution["note"] and resolution["note"].endswith("1234已核实")
    texts, _, _ = run(ActionAgentGaveBack(), make_tracker({"agent_name": "王敏"}))
    assert "智能助手继续为您服务" in texts[0] and len(rows(bank, TicketResolution)) == 1  # nothing left open
