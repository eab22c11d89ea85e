"""The SMS senders: the demo outbox (the demo's phone) and an HTTP gateway, chosen by configuration."""

import pytest

from actions.bank.db import session_scope
from actions.bank.sms import SmsNotSent, configured_sender, otp_text
from actions.bank.sms.gateway import HttpSmsGateway
from actions.bank.sms.outbox import DemoOutbox, latest_code, recent_messages
from tests.actions.sms_gateway import sms_gateway

PHONE = "13800138000"


def test_without_a_gateway_url_the_demo_outbox_sends(monkeypatch):
    monkeypatch.delenv("SMS_GATEWAY_URL", raising=False)
    assert isinstance(configured_sender(), DemoOutbox) and configured_sender().demo


def test_a_gateway_url_and_token_choose_the_gateway(monkeypatch):
    monkeypatch.setenv("SMS_GATEWAY_URL", "http://sms.example/send")
    monkeypatch.setenv("SMS_GATEWAY_TOKEN", "t0ken")
    monkeypatch.setenv("SMS_GATEWAY_TIMEOUT", "2.5")
    sender = configured_sender()
    assert isinstance(sender, HttpSmsGateway) and not sender.demo
    assert (sender.url, sender.token, sender.timeout) == ("http://sms.example/send", "t0ken", 2.5)


@pytest.mark.parametrize("raw", ["soon", "0", "-3"])
def test_a_timeout_that_is_not_a_positive_number_falls_back_to_the_default(monkeypatch, raw, caplog):
    monkeypatch.setenv("SMS_GATEWAY_URL", "http://sms.example/send")
    monkeypatch.setenv("SMS_GATEWAY_TIMEOUT", raw)
    assert configured_sender().timeout == 5.0
    assert "SMS_GATEWAY_TIMEOUT must be a positive number" in caplog.text


def test_the_demo_outbox_keeps_the_text_for_make_outbox(db_url):
    DemoOutbox(db_url).send(PHONE, otp_text("123456", 5), conversation="web-1")
    DemoOutbox(db_url).send("13900139000", otp_text("654321", 5), conversation="web-2")
    with session_scope(db_url) as session:
        [mine] = recent_messages(session, PHONE)
        assert mine.masked_phone == "138****8000" and "123456" in mine.text and mine.conversation == "web-1"
        assert latest_code(session, PHONE) == "123456"
        assert latest_code(session, conversation="web-2") == latest_code(session) == "654321"
        assert latest_code(session, "13700137000") is None


def test_the_gateway_gets_json_with_the_bearer_token():
    with sms_gateway() as (url, log):
        HttpSmsGateway(url, "t0ken", timeout=5).send("138 0013 8000", "您的验证码是123456", conversation="web-1")
    [request] = log.received
    assert request["path"] == "/sms" and request["authorization"] == "Bearer t0ken"
    assert request["body"] == {"phone": PHONE, "text": "您的验证码是123456", "reference": "web-1"}


@pytest.mark.parametrize("status", [401, 500, 503])
def test_a_refusal_by_the_gateway_is_not_sent(status):
    with sms_gateway() as (url, log):
        log.status = status
        with pytest.raises(SmsNotSent) as failed:
            HttpSmsGateway(url, "t0ken", timeout=5).send(PHONE, "x")
    assert (
        f"HTTP {status}" in str(failed.value) and PHONE not in str(failed.value) and "138****8000" in str(failed.value)
    )


def test_a_gateway_that_does_not_answer_in_time_is_not_sent():
    with sms_gateway() as (url, log):
        log.hang = True
        with pytest.raises(SmsNotSent) as failed:
            HttpSmsGateway(url, "t0ken", timeout=0.2).send(PHONE, "x")
    assert "Timeout" in str(failed.value)


def test_a_gateway_nobody_listens_on_is_not_sent(free_port):
    with pytest.raises(SmsNotSent) as failed:
        HttpSmsGateway(f"http://127.0.0.1:{free_port}/sms", "t0ken", timeout=2).send(PHONE, "x")
    assert "ConnectionError" in str(failed.value)


def test_a_gateway_without_a_token_sends_nothing():
    with sms_gateway() as (url, log), pytest.raises(SmsNotSent) as failed:
        HttpSmsGateway(url, "", timeout=5).send(PHONE, "x")
    assert "SMS_GATEWAY_TOKEN" in str(failed.value) and log.received == []
