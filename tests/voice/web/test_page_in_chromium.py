"""The customer web page in headless Chromium, against the real gateway (`python -m voice serve`),
Rasa with its token-protected channels and the action server on a private demo bank: what a
customer does on the page (type, tap quick replies, reload, lose the connection, call) and what
must follow in the page, the tracker store and the bank.

Servers are shared by the module (conftest.py); every test opens its own browsers.
"""

import json
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from decimal import Decimal

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from sqlalchemy import create_engine, select, text

from actions.bank.db import session_scope
from actions.bank.models import Account, AuditLog, Bill, CreditLine, Customer
from nlu.value_wording import written_money
from tests.stored_events import event_data
from tests.voice import installed
from tests.voice.web.browser import PHONE, ZHANG_WEI, ChatPage, Gateway, page_headers, sent_code
from voice.audio import WIDEBAND_RATE, silence, write_wav
from voice.web.protocol import MAX_TEXT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900, func_only=True)]

CALL_TIMEOUT_S = 120.0  # a call's turn: endpointing, recognition, Rasa and TTS on a busy 2-core machine
REQUEST = "我想查一下信用卡账单"


# ----------------------------------------------------------------------------- the bank and the tracker


@dataclass(frozen=True)
class Books:
    """What the bank holds for a customer: the savings card 尾号1234, and the credit card's latest bill."""

    balance: Decimal
    bill_due: Decimal
    bill_minimum: Decimal
    bill_paid: Decimal
    card_available: Decimal
    audit: tuple  # (action, sender_id, detail) of every audit row


def books(bank_url: str, phone: str = ZHANG_WEI) -> Books:
    with session_scope(bank_url) as db:
        customer = db.scalars(select(Customer).where(Customer.phone == phone)).one()
        savings = db.scalars(select(Account).where(Account.customer_id == customer.id).order_by(Account.id)).first()
        card = db.scalars(
            select(CreditLine).where(CreditLine.customer_id == customer.id, CreditLine.product == "credit_card")
        ).one()
        bill = db.scalars(
            select(Bill).where(Bill.credit_line_id == card.id).order_by(Bill.statement_date.desc())
        ).first()
        audit = db.scalars(select(AuditLog).order_by(AuditLog.id)).all()
        return Books(
            savings.balance, bill.amount_due, bill.minimum_due, bill.paid_amount, card.available,
            tuple((a.action, a.sender_id, json.loads(a.detail)) for a in audit),
        )  # fmt: skip


def typed_into_rasa(tracker_url: str, conversation: str) -> list:
    """What the customer typed, as Rasa's tracker store holds it (not the page's own /greet)."""
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT data FROM events WHERE sender_id = :sender AND type_name = 'user' ORDER BY id"),
                {"sender": conversation},
            ).all()
    finally:
        engine.dispose()
    events = [event_data(data) for (data,) in rows]
    return [e.get("text") for e in events if (e.get("metadata") or {}).get("via") != "system"]


# ----------------------------------------------------------------------------- chat


def test_a_verified_chat_with_quick_replies_repays_the_credit_card(chat_gateway, web_assistant, browsers):
    bank = web_assistant.bank_url
    page = ChatPage(browsers(), chat_gateway.url)
    greeting = page.open()
    assert len(greeting) == 1 and "有什么可以帮您" in greeting[0], greeting
    before = books(bank)

    asked = page.say("查一下我的信用卡账单")
    assert "手机号" in asked and "¥" not in asked  # nothing about the account before verification
    sent = page.say(ZHANG_WEI)
    assert "验证码已发送到138****8000" in sent, sent
    assert ZHANG_WEI not in "".join(page.texts("bot"))  # the bot masks the number
    answer = page.say(sent_code(bank, ZHANG_WEI, page.conversation()), expect="验证成功")
    due, minimum = written_money(str(before.bill_due - before.bill_paid)), written_money(str(before.bill_minimum))
    assert f"信用卡本期应还{due}，最低还款{minimum}" in answer, answer  # ¥8,650.00 and ¥865.00 as seeded

    how_much = page.say("我要还款")
    assert "还多少" in how_much, how_much
    assert "还最低" in page.quick_replies(), page.quick_replies()
    confirm = page.tap("还最低", expect="请确认")
    assert minimum in confirm and "尾号1234" in confirm, confirm
    assert page.quick_replies() == ["确认", "取消"]
    assert books(bank) == before  # nothing moves before the customer confirms

    done = page.tap("确认", expect="还款成功")
    after = books(bank)
    assert f"扣款{minimum}" in done and written_money(str(after.balance)) in done, done
    assert page.texts("customer")[-2:] == ["还最低", "确认"]  # a tapped reply shows as the customer's words
    assert page.quick_replies() == []  # the answer offers none: the old buttons are gone

    paid = before.bill_minimum
    assert after.balance == before.balance - paid
    assert after.bill_paid == before.bill_paid + paid
    assert after.card_available == before.card_available + paid
    new_audit = after.audit[len(before.audit) :]
    assert [(action, sender) for action, sender, _ in new_audit] == [("repay", page.conversation())]
    assert Decimal(new_audit[0][2]["amount"]) == paid


def test_a_reload_shows_the_same_conversation_and_it_goes_on(chat_gateway, web_assistant, browsers):
    bank = web_assistant.bank_url
    page = ChatPage(browsers(), chat_gateway.url)
    page.open()
    page.verify(bank)
    page.say("我要还款")
    shown, offered, cookie = page.messages(), page.quick_replies(), page.session_cookie()
    assert offered, page.transcript()

    page.driver.refresh()
    page.wait_until_live()
    assert page.messages() == shown  # the same messages, in the same order, none pending
    assert page.quick_replies() == offered  # the latest question's buttons too
    assert page.session_cookie()["value"].rsplit(".", 2)[0] == cookie["value"].rsplit(".", 2)[0]

    confirm = page.tap("全部还清", expect="请确认")  # the restored buttons work; no new verification
    assert "尾号1234" in confirm and "手机号" not in confirm, confirm
    assert page.quick_replies() == ["确认", "取消"]
    cancelled = page.tap("取消")
    assert "取消" in cancelled, cancelled
    balance = page.say("我的余额是多少", expect="余额")
    assert f"储蓄卡尾号1234：可用余额{written_money(str(books(bank).balance))}" in balance, balance
    assert "验证" not in balance and "手机号" not in balance
    assert page.messages()[: len(shown)] == shown


def test_another_browser_and_forged_cookies_get_a_conversation_of_their_own(chat_gateway, web_assistant, browsers):
    first = ChatPage(browsers(), chat_gateway.url)
    greeting = first.open()
    first.verify(web_assistant.bank_url)
    first_said = first.texts()
    cookie = first.session_cookie()
    assert cookie["httpOnly"] is True and cookie["sameSite"] == "Strict" and cookie["path"] == "/", cookie
    session_id, issued, signature = cookie["value"].rsplit(".", 2)

    second = ChatPage(browsers(), chat_gateway.url)
    assert second.open() == greeting and second.texts() == greeting  # none of the first one's messages
    assert second.conversation() != first.conversation()
    asked = second.say("我的余额是多少")
    assert "手机号" in asked and "¥" not in asked, asked
    _, own_issued, own_signature = second.session_cookie()["value"].rsplit(".", 2)

    tampered = ("A" if signature[0] != "A" else "B") + signature[1:]
    forged = {
        "the first cookie with its signature changed": f"{session_id}.{issued}.{tampered}",
        "the first session's id alone": session_id,
        "the first session's id with the second's signature": f"{session_id}.{own_issued}.{own_signature}",
        "the first cookie with another issue time": f"{session_id}.{int(issued) - 1}.{signature}",
        "a made-up cookie": "x" * 32 + f".{issued}.{'y' * 43}",
    }
    for what, value in forged.items():
        second.driver.delete_cookie("sid")
        second.driver.add_cookie({"name": "sid", "value": value, "path": "/", "httpOnly": True, "sameSite": "Strict"})
        assert second.open() == greeting and second.texts() == greeting, what
        assert second.conversation() not in (first.conversation(), f"web-{session_id}"), what
        assert second.session_cookie()["value"] != value, what  # the server gave it a session of its own
        asked = second.say("我的余额是多少")
        assert "手机号" in asked and "¥" not in asked, f"{what}: {asked}"

    first.driver.refresh()
    first.wait_until_live()
    assert first.texts() == first_said  # the first conversation is untouched, and only its own


def test_the_page_reconnects_after_the_gateway_restarts_and_delivers_once(web_assistant, browsers):
    gateway = Gateway(web_assistant, name="restarted-gateway").start()
    try:
        page = ChatPage(browsers(), gateway.url)
        page.open()
        page.say("你好")
        conversation, shown = page.conversation(), page.messages()

        gateway.stop()  # the server closes the page's websocket
        page.wait(
            lambda p: p.connection() == "closed" and p.status_state() in ("reconnecting", "stuck"), "reconnecting"
        )
        assert "正在重新连接" in page.status() or "仍在尝试" in page.status()
        gateway.start()
        page.wait_until_live()  # by itself: nobody reloads the page
        assert page.status_state() == "open" and page.messages() == shown

        answer = page.say("我想挂失")
        assert "手机号" in answer, answer

        gateway.stop()
        page.wait(lambda p: p.connection() == "closed", "the connection to drop again")
        page.type("算了")  # while the gateway is down
        page.wait(lambda p: any(m.pending and m.text == "算了" for m in p.messages()), "the message kept in the outbox")
        bots_before = len(page.texts("bot"))
        gateway.start()
        cancelled = page.wait_for_answer(bots_before)
        assert any("取消" in said for said in cancelled), cancelled
        page.say("谢谢")  # one more turn: whatever was to arrive twice would be here by now

        typed = ["你好", "我想挂失", "算了", "谢谢"]
        assert page.texts("customer") == typed, page.transcript()
        assert typed_into_rasa(web_assistant.tracker_url, conversation) == typed
        bots = page.texts("bot")
        page.driver.refresh()  # the history, from the tracker store
        page.wait_until_live()
        assert page.texts("customer") == typed and page.texts("bot") == bots, page.transcript()
    finally:
        gateway.stop()


# ----------------------------------------------------------------------------- call


def test_a_call_from_the_page_is_recognized_and_answered(speech_gateway, browsers, tmp_path):
    caller = installed.neural_voice()
    microphone = tmp_path / "request.wav"
    speech = caller.synthesize(REQUEST, WIDEBAND_RATE)
    write_wav(microphone, silence(WIDEBAND_RATE, 1500) + speech + silence(WIDEBAND_RATE, 4000), WIDEBAND_RATE)

    page = ChatPage(browsers(microphone=microphone), speech_gateway.url, timeout_s=CALL_TIMEOUT_S)
    page.open()
    driver = page.driver
    button, panel = driver.find_element(By.ID, "call-button"), driver.find_element(By.ID, "call-panel")
    page.wait(lambda p: button.is_enabled(), "the call button to be enabled")
    assert driver.find_element(By.ID, "call-note").text == ""

    def call_state(_page=None) -> str:
        return driver.execute_script("return document.body.dataset.call")

    def counter(name: str) -> int:
        return int(panel.get_attribute(name) or 0)

    button.click()
    page.wait(lambda p: call_state() == "active", "the call to start")
    page.wait(lambda p: counter("data-audio-sent") > 0, "the page to send microphone audio")
    sent = counter("data-audio-sent")
    page.wait(lambda p: counter("data-audio-sent") > sent, "more microphone audio")

    def heard(p: ChatPage):
        said = p.messages()
        return next(
            (i for i, m in enumerate(said) if m.sender == "customer" and m.via == "call" and "账单" in m.text), None
        )

    at = page.wait(heard, "the caller's request as the page shows it")
    received = counter("data-audio-received")

    def answer(p: ChatPage):
        return next((m for m in p.messages()[at + 1 :] if m.sender == "bot" and m.via == "call"), None)

    answered = page.wait(answer, "the bot's answer on the call")
    assert "手机号" in answered.text, page.transcript()  # a bill needs the caller verified first
    assert driver.find_elements(By.CSS_SELECTOR, ".msg-bot.via-call") and driver.find_elements(
        By.CSS_SELECTOR, ".msg-customer.via-call"
    )
    page.wait(lambda p: counter("data-audio-received") > received, "the bot's spoken answer to reach the page")

    bots_on_call = len(driver.find_elements(By.CSS_SELECTOR, ".msg-bot.via-call"))
    for key in ZHANG_WEI + "#":  # the phone number on the on-screen keypad, as on a phone's
        driver.find_element(By.CSS_SELECTOR, f'#keypad button[data-key="{key}"]').click()

    def code_sent(p: ChatPage):
        later = [m.text for m in p.messages() if m.sender == "bot" and m.via == "call"][bots_on_call:]
        return any("验证码" in text for text in later)

    page.wait(code_sent, "the bot to take the keyed phone number and send a code")
    assert ZHANG_WEI not in page.transcript()  # keys are shown masked, never as the number

    driver.find_element(By.ID, "hangup").click()
    page.wait(lambda p: call_state() == "idle", "the call to end")
    assert button.is_displayed() and panel.get_attribute("hidden") is not None


# ----------------------------------------------------------------------------- headers


def test_the_page_cannot_be_framed_and_its_cookie_is_out_of_scripts_reach(chat_gateway):
    status, headers, cookies = page_headers(chat_gateway.url)
    assert status == 200
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert "script-src 'self'" in headers["Content-Security-Policy"]
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert len(cookies) == 1 and cookies[0].startswith("sid="), cookies
    flags = {flag.strip().lower() for flag in cookies[0].split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags, cookies

    value = cookies[0].split(";")[0].removeprefix("sid=")
    session_id, issued, signature = value.rsplit(".", 2)
    tampered = ("A" if signature[0] != "A" else "B") + signature[1:]
    for cookie in (f"{session_id}.{issued}.{tampered}", session_id, ""):
        request = urllib.request.Request(
            f"{chat_gateway.url}ws", headers={"Cookie": f"sid={cookie}", "Origin": chat_gateway.url.rstrip("/")}
        )
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(request, timeout=30)
        assert refused.value.code == 401, cookie


# ----------------------------------------------------------------------------- the page itself

ACCESSIBLE_NAMES = """
return Array.from(document.querySelectorAll('button, textarea, input, [role=log]'))
  .filter((el) => el.offsetParent !== null)
  .filter((el) => !((el.labels && el.labels.length) || el.getAttribute('aria-label') || el.textContent.trim()))
  .map((el) => el.id || el.className);
"""
WATCH_TYPING = """
window.typingSeen = false;
const typing = document.getElementById('typing');
new MutationObserver(() => { if (!typing.hidden) window.typingSeen = true; })
  .observe(typing, {attributes: true, attributeFilter: ['hidden']});
"""


def test_at_a_phones_width_the_page_fits_is_labelled_and_shows_when_and_that_the_bot_is_typing(chat_gateway, browsers):
    page = ChatPage(browsers(size=PHONE, mobile=True), chat_gateway.url)
    page.open()
    driver = page.driver
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
    log = driver.find_element(By.ID, "messages")
    assert (log.get_attribute("role"), log.get_attribute("aria-live")) == ("log", "polite")
    assert driver.execute_script(ACCESSIBLE_NAMES) == [], "controls without an accessible name"
    driver.execute_script(WATCH_TYPING)
    page.say("客服几点下班")
    assert driver.execute_script("return window.typingSeen"), "no typing indicator while the bot answered"
    assert not page.typing()
    times = [t.text for t in driver.find_elements(By.CSS_SELECTOR, "#messages .msg .msg-time")]
    assert len(times) == len(page.messages()) and all(re.fullmatch(r"\d\d:\d\d", t) for t in times), times
    assert driver.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")


def test_too_long_a_message_is_not_sent_and_the_customer_is_told_the_limit(chat_gateway, browsers):
    page = ChatPage(browsers(), chat_gateway.url)
    page.open()
    before = page.messages()
    box = page.driver.find_element(By.ID, "input")
    box.send_keys("我" * (MAX_TEXT + 1))
    assert page.driver.find_element(By.ID, "counter").is_displayed()
    box.send_keys(Keys.ENTER)
    page.wait(lambda p: str(MAX_TEXT) in p.driver.find_element(By.ID, "notice").text, "the notice of the limit", 10)
    assert page.messages() == before


def test_a_customer_who_sends_too_fast_is_asked_to_wait_and_every_message_arrives_once(
    chat_gateway, web_assistant, browsers
):
    page = ChatPage(browsers(), chat_gateway.url)
    page.open()
    burst = [f"第{n}个问题：客服几点下班" for n in range(12)]  # the session may send 10 at once, then 1 per 2 s
    for question in burst:
        page.type(question)
    page.wait(lambda p: "稍等" in p.driver.find_element(By.ID, "notice").text, "the polite request to wait", 30)
    page.wait(lambda p: all(p.texts("customer").count(t) == 1 for t in burst) and not p.messages()[-1].pending,
              "every message sent once", 180)  # fmt: skip
    page.wait(lambda p: len(p.texts("bot")) >= 1 + len(burst) and not p.typing(), "an answer to each", 180)
    assert typed_into_rasa(web_assistant.tracker_url, page.conversation()) == burst


def test_without_a_speech_model_the_call_button_says_why(chat_gateway, browsers):
    page = ChatPage(browsers(), chat_gateway.url)
    page.open(greeting=False)
    button = page.driver.find_element(By.ID, "call-button")
    assert not button.is_enabled()
    assert "未安装中文语音识别模型" in page.driver.find_element(By.ID, "call-note").text
