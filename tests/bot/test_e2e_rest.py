"""End to end: Rasa server + action server as subprocesses, a Chinese conversation over REST.

verify identity → ask for the bill → repay the credit card minimum, then check that the
database changed exactly as the assistant said it would.
"""

import json
import urllib.request
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, select, text

from actions.bank.db import session_scope
from actions.bank.models import Account, AuditLog, Bill, CreditLine, Transaction
from actions.bank.sms import outbox
from bot import processes
from bot.servers import action_url_for, rasa_run_cmd, start_action_server, write_endpoints
from tests.database_backends import empty_database

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900, func_only=True)]


@pytest.fixture
def tracker_store_url(database_backend, tmp_path, monkeypatch):
    """Rasa's SQL tracker store on the same backend as the bank (SQLite or PostgreSQL)."""
    with empty_database(database_backend, tmp_path, "tracker") as url:
        monkeypatch.setenv("TRACKER_STORE_URL", url)
        yield url


@pytest.fixture
def servers(trained_model, bank_db_url, tracker_store_url, tmp_path):
    action_port, rasa_port = processes.free_port(), processes.free_port()
    endpoints = write_endpoints(tmp_path / "endpoints.yml", action_url_for(action_port))
    with processes.ProcessGroup() as group:
        start_action_server(group, action_port)
        rasa = group.start(rasa_run_cmd(trained_model, endpoints, rasa_port, None))
        processes.wait_until_up(f"http://{processes.HOST}:{rasa_port}/webhooks/rest/", rasa, "Rasa server")
        yield f"http://{processes.HOST}:{rasa_port}/webhooks/rest/webhook"


def say(url: str, text: str, sender: str = "e2e-customer") -> str:
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=120) as response:
        return "\n".join(m.get("text", "") for m in json.load(response))


def snapshot(url: str) -> dict:
    with session_scope(url) as session:
        savings = session.scalars(select(Account).where(Account.card_number.like("%1234"))).one()
        card = session.scalars(
            select(CreditLine)
            .where(CreditLine.product == "credit_card")
            .where(CreditLine.customer_id == savings.customer_id)
        ).one()
        bill = session.scalars(
            select(Bill).where(Bill.credit_line_id == card.id).order_by(Bill.statement_date.desc())
        ).first()
        return {
            "balance": savings.balance,
            "paid": bill.paid_amount,
            "available": card.available,
            "transactions": len(session.scalars(select(Transaction)).all()),
            "audit": [a.action for a in session.scalars(select(AuditLog))],
        }


def latest_code(url: str) -> str:
    with session_scope(url) as session:
        return outbox.latest_code(session, "13800138000")


def stored_events(tracker_url: str, sender: str) -> int:
    engine = create_engine(tracker_url, future=True)
    try:
        with engine.connect() as connection:
            return connection.scalar(text("SELECT count(*) FROM events WHERE sender_id = :sender"), {"sender": sender})
    finally:
        engine.dispose()


def test_verify_then_bill_then_repay_over_rest(servers, bank_db_url, tracker_store_url):
    before = snapshot(bank_db_url)

    reply = say(servers, "我想查一下信用卡账单")
    assert "手机号" in reply and "¥" not in reply  # no account data before verification
    reply = say(servers, "13800138000")
    assert "138****8000" in reply and "13800138000" not in reply
    reply = say(servers, latest_code(bank_db_url))
    assert "验证成功" in reply
    assert "信用卡本期应还¥8,650.00，最低还款¥865.00" in reply

    reply = say(servers, "帮我把信用卡的最低还款还了")
    assert "请确认" in reply and "¥865.00" in reply and "尾号1234" in reply
    assert snapshot(bank_db_url) == before  # nothing moves before confirmation

    reply = say(servers, "确认")
    assert "还款成功" in reply and "¥865.00" in reply

    after = snapshot(bank_db_url)
    assert after["balance"] == before["balance"] - Decimal("865.00")
    assert after["paid"] == before["paid"] + Decimal("865.00")
    assert after["available"] == before["available"] + Decimal("865.00")
    assert after["transactions"] == before["transactions"] + 2
    assert after["audit"] == before["audit"] + ["repay"]
    assert stored_events(tracker_store_url, "e2e-customer") > 20  # the conversation is in the SQL store


def test_a_transfer_answered_step_by_step(servers, bank_db_url):
    """Each of the bot's questions gets a bare answer, as a caller gives them (issue 13's first exchange)."""
    reply = say(servers, "转账", sender="e2e-steps")
    assert "手机号" in reply
    say(servers, "13800138000", sender="e2e-steps")
    reply = say(servers, latest_code(bank_db_url), sender="e2e-steps")
    assert "验证成功" in reply and "转给谁" in reply
    before = snapshot(bank_db_url)

    reply = say(servers, "李娜", sender="e2e-steps")
    assert "转给谁" not in reply and "转多少钱" in reply
    reply = say(servers, "两千", sender="e2e-steps")
    assert "请确认" in reply and "李娜" in reply and "¥2,000.00" in reply and "尾号1234" in reply
    assert snapshot(bank_db_url) == before

    reply = say(servers, "确认", sender="e2e-steps")
    assert "转账成功" in reply and "¥2,000.00" in reply
    after = snapshot(bank_db_url)
    assert after["balance"] == before["balance"] - Decimal("2000.00")
    assert after["audit"] == before["audit"] + ["transfer"]
