"""A customer on the chat page and an agent at the desk, in two headless Chromium browsers, with
Rasa, the action server and the gateway as `make serve` runs them."""

import json
import urllib.request
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import create_engine, select

from actions.bank.db import session_scope
from actions.bank.models import CallbackRequest, HandoffTicket, TicketResolution
from tests.stored_events import event_data
from tests.voice import installed
from tests.voice.desk.conftest import AGENT
from tests.voice.desk.desk_browser import DeskPage
from tests.voice.web.browser import ZHANG_WEI, ChatPage, Gateway, until
from voice.audio import WIDEBAND_RATE, silence, write_wav

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900, func_only=True)]
CALL_TIMEOUT_S = 120.0  # a call's turn: endpointing, recognition, Rasa and TTS on a busy 2-core machine


def tracker_events(tracker_url: str, conversation: str) -> list[dict]:
    engine = create_engine(tracker_url)
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql(
                "SELECT data FROM events WHERE sender_id = ? ORDER BY id", (conversation,)
            ).fetchall()
    finally:
        engine.dispose()
    return [event_data(row[0]) for row in rows]


def history(web_assistant, conversation: str) -> list[dict]:
    request = urllib.request.Request(
        f"{web_assistant.url}/webhooks/web/history?sender={conversation}",
        headers={"Authorization": f"Bearer {web_assistant.token}"},
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


def test_a_customer_who_asks_for_a_person_gets_the_agent_in_the_same_chat_and_then_the_bot_again(
    desk_gateway, web_assistant, browsers
):
    username, name, password = AGENT
    agent = DeskPage(browsers(), desk_gateway.url)
    agent.log_in(username, password)
    customer = ChatPage(browsers(), desk_gateway.url)
    customer.open()

    queued = customer.say("我要转人工", expect="正在为您转接人工客服")
    assert "工单号" in queued
    key = agent.take("转人工")
    customer.wait(lambda p: f"人工客服{name}已接入，接下来由{name}为您服务。" in p.texts("bot"), "the agent's arrival")
    agent.wait(lambda d: ("customer", "我要转人工") in d.transcript(), "the conversation so far at the desk")

    bots_before = len(customer.texts("bot"))
    customer.type("我的信用卡账单好像多扣了一笔")
    agent.wait(lambda d: ("customer", "我的信用卡账单好像多扣了一笔") in d.transcript(), "the customer's words live")
    conversation = customer.conversation()
    written = "我的信用卡账单好像多扣了一笔"
    until(
        lambda: any(e.get("text") == written for e in tracker_events(web_assistant.tracker_url, conversation)),
        60, "Rasa to write the message down",
    )  # fmt: skip
    agent.say("您好，我是王敏，我帮您核对这笔扣款。")
    customer.wait(
        lambda p: "您好，我是王敏，我帮您核对这笔扣款。" in p.texts("agent"), "the agent's message on the page"
    )
    assert len(customer.texts("bot")) == bots_before  # the bot stayed silent

    agent.give_back()
    agent.wait(lambda d: not d.driver.find_elements("css selector", f'#held [data-id="{key}"]'), "the hand-back")
    customer.wait(lambda p: any("智能助手继续为您服务" in t for t in p.texts("bot")), "the bot's return")
    assert "手机号" in customer.say("查一下我的信用卡账单")  # the bot answers again

    said = history(web_assistant, conversation)
    assert {"from": "agent", "agent": name, "text": "您好，我是王敏，我帮您核对这笔扣款。"}.items() <= next(
        m for m in said if m["from"] == "agent"
    ).items()
    kinds = [e["event"] for e in tracker_events(web_assistant.tracker_url, conversation)]
    assert "pause" in kinds and "resume" in kinds and kinds.index("pause") < kinds.index("resume")
    customer.driver.refresh()
    customer.wait_until_live()
    assert "您好，我是王敏，我帮您核对这笔扣款。" in customer.texts("agent")  # the history keeps who said it

    customer.say("我还是想找人工客服", expect="正在为您转接人工客服")
    agent.take("人工")
    agent.close("已核实为信用卡年费，客户认可")
    customer.wait(lambda p: any("本次人工服务已结束" in t for t in p.texts("bot")), "the end of the agent's service")

    with session_scope(web_assistant.bank_url) as session:
        tickets = session.scalars(
            select(HandoffTicket).where(HandoffTicket.sender_id == conversation).order_by(HandoffTicket.id)
        ).all()
        resolutions = [
            session.scalar(select(TicketResolution).where(TicketResolution.ticket_id == ticket.id))
            for ticket in tickets
        ]
        assert [t.status for t in tickets] == ["closed", "closed"]
        assert [(r.agent, r.how, r.note) for r in resolutions] == [
            (name, "given_back", ""), (name, "closed", "已核实为信用卡年费，客户认可")
        ]  # fmt: skip


def test_with_nobody_at_the_desk_the_customer_is_told_so_and_can_leave_a_number_to_be_called(
    desk_gateway, web_assistant, browsers
):
    customer = ChatPage(browsers(), desk_gateway.url)
    customer.open()
    offer = customer.say("转人工", expect="登记回电")
    assert "现在没有可以接入的人工客服" in offer and "请稍候" not in offer
    assert "手机号码" in customer.tap("登记回电")
    registered = customer.say(ZHANG_WEI, expect="已为您登记回电")
    assert "尾号8000" in registered and ZHANG_WEI not in registered
    with session_scope(web_assistant.bank_url) as session:
        ticket = session.scalar(select(HandoffTicket).where(HandoffTicket.sender_id == customer.conversation()))
        callback = session.scalar(select(CallbackRequest).where(CallbackRequest.ticket_id == ticket.id))
        assert callback.phone == ZHANG_WEI and ticket.number in registered and ZHANG_WEI not in ticket.summary


def test_outside_service_hours_the_customer_hears_the_hours_and_a_call_back_offer(web_assistant, staff, browsers):
    hour = datetime.now(ZoneInfo("Asia/Shanghai")).hour
    hours, spoken = ("01:00-02:00", "1:00至2:00") if hour >= 12 else ("13:00-14:00", "13:00至14:00")  # not now
    with Gateway(web_assistant, name="closed-desk", env={"DESK_HOURS": hours}) as closed:
        username, _, password = AGENT
        agent = DeskPage(browsers(), closed.url)
        agent.log_in(username, password)  # an agent online does not open the desk out of hours
        customer = ChatPage(browsers(), closed.url)
        customer.open()
        offer = customer.say("转人工", expect="登记回电")
        assert f"不在人工客服的服务时间（每天{spoken}）" in offer
        assert agent.queue() == []


def test_a_caller_who_asks_for_a_person_talks_with_the_agent_by_voice_and_then_with_the_bot_again(
    desk_speech_gateway, web_assistant, browsers, tmp_path
):
    voice = installed.neural_voice()
    caller_wav, agent_wav = tmp_path / "caller.wav", tmp_path / "agent.wav"
    request = voice.synthesize("我要转人工", WIDEBAND_RATE)
    write_wav(caller_wav, silence(WIDEBAND_RATE, 1500) + request + silence(WIDEBAND_RATE, 2000), WIDEBAND_RATE)
    greeting = voice.synthesize("您好，我是客服王敏，请问有什么可以帮您？", WIDEBAND_RATE)
    write_wav(agent_wav, silence(WIDEBAND_RATE, 500) + greeting + silence(WIDEBAND_RATE, 1000), WIDEBAND_RATE)

    username, _, password = AGENT
    agent = DeskPage(browsers(microphone=agent_wav), desk_speech_gateway.url, timeout_s=CALL_TIMEOUT_S)
    agent.log_in(username, password)
    caller = ChatPage(browsers(microphone=caller_wav), desk_speech_gateway.url, timeout_s=CALL_TIMEOUT_S)
    caller.open()
    driver = caller.driver
    button, panel = driver.find_element(By.ID, "call-button"), driver.find_element(By.ID, "call-panel")
    caller.wait(lambda p: button.is_enabled(), "the call button to be enabled")
    button.click()

    def caller_got() -> int:
        return int(panel.get_attribute("data-audio-received") or 0)

    def agent_got() -> int:
        return int(agent.driver.execute_script("return document.body.dataset.audioReceived || '0'"))

    caller.wait(lambda p: any("正在为您转接人工客服" in t for t in p.texts("bot")), "the bot to hand the call over")
    key = agent.take("通话")
    agent.driver.find_element(By.ID, "join-call").click()
    agent.wait(
        lambda d: d.driver.execute_script("return document.body.dataset.call") == "joined", "the agent on the call"
    )
    caller_before, agent_before = caller_got(), agent_got()
    agent.wait(lambda d: agent_got() > agent_before + 25, "the caller's audio at the desk")
    caller.wait(lambda p: caller_got() > caller_before + 25, "the agent's voice on the caller's page")
    assert "人工客服已接入通话" in driver.find_element(By.ID, "call-state").text

    bots = len([m for m in caller.messages() if m.sender == "bot"])
    agent.give_back()
    caller.wait(
        lambda p: any("智能助手继续为您服务" in m.text for m in p.messages()[bots:] if m.sender == "bot"),
        "the bot's hand-back notice on the call",
    )
    agent.wait(lambda d: not d.driver.find_elements(By.CSS_SELECTOR, f'#held [data-id="{key}"]'), "the hand-back")
    assert driver.execute_script("return document.body.dataset.call") == "active"  # the call goes on with the bot

    driver.find_element(By.ID, "hangup").click()
    caller.wait(lambda p: driver.execute_script("return document.body.dataset.call") == "idle", "the call to end")
    entries = until(lambda: call_record_entries(web_assistant, caller.conversation()), 60, "the call's record")
    said = [(e["who"], e["text"]) for e in entries]
    joined, left = said.index(("event", "agent joined: 王敏")), said.index(("event", "agent left: 王敏"))
    assert joined < left and said[left + 1][0] == "bot"  # the hand-back notice, spoken by the bot
    assert not any(who in ("caller", "bot") for who, _ in said[joined + 1 : left])  # the bot neither heard nor spoke


def call_record_entries(web_assistant, conversation: str) -> list:
    engine = create_engine(f"sqlite:///{web_assistant.directory / 'calls.db'}")
    try:
        with engine.connect() as connection:
            row = connection.exec_driver_sql(
                "SELECT entries FROM voice_call_records WHERE conversation_id = ? ORDER BY id DESC", (conversation,)
            ).first()
    finally:
        engine.dispose()
    if row is None:
        return []
    return json.loads(row[0]) if isinstance(row[0], str) else row[0]
