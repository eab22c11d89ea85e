"""Faults of the cluster (issue 19), each against real parts: kill -9 a Rasa replica in the middle
of a form; kill the action server during a transfer's confirmation; restart PostgreSQL; Redis
unavailable. One cluster for the module (conftest.py); each test leaves it whole again."""

import json
import signal
import threading
import time
import urllib.error
import urllib.request
import uuid
from decimal import Decimal
from pathlib import Path
from typing import List, Optional, Tuple

import pytest
from sqlalchemy import create_engine, select, text

from actions.bank.db import get_engine, session_scope
from actions.bank.models import Account, AuditLog
from bot.cluster.haproxy import ACTIONS, RASA
from tests.bot.cluster.conftest import PHONE, REST_TOKEN, latest_code, new_sender
from tests.stored_events import event_data

pytestmark = [pytest.mark.cluster, pytest.mark.timeout(600, func_only=True)]
LOG_LINE_WITHIN_S = 30


# ------------------------------------------------------------------ a customer over REST, at the front door
def post(cluster, sender: str, message: str, timeout_s: float = 120) -> Tuple[int, list]:
    body = json.dumps({"sender": sender, "message": message, "message_id": uuid.uuid4().hex}).encode()
    request = urllib.request.Request(
        f"{cluster.front_door}/webhooks/rest/webhook", body,
        {"Content-Type": "application/json", "Authorization": f"Bearer {REST_TOKEN}"},
    )  # fmt: skip
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as answer:
            return answer.status, json.load(answer)
    except urllib.error.HTTPError as error:
        return error.code, []


def say(cluster, sender: str, message: str) -> str:
    status, messages = post(cluster, sender, message)
    assert status == 200, f"{message!r}: HTTP {status}"
    return "\n".join(m.get("text") or "" for m in messages)


def served_by(cluster) -> List[str]:
    """The servers HAProxy sent the front door's REST requests to, in order (its log)."""
    lines = cluster.haproxy.log.read_text(encoding="utf-8").splitlines()
    return [line.split()[3] for line in lines if " front_door rasa/" in line and "POST /webhooks/rest/" in line]


def served_since(cluster, before: int, requests: int) -> List[str]:
    """The servers of the front door's REST requests after the first ``before``, once ``requests``
    of them are in HAProxy's log: it writes a request's line after the answer has gone out."""
    deadline = time.monotonic() + LOG_LINE_WITHIN_S  # a hang guard, not a speed bound
    while len(served := served_by(cluster)[before:]) < requests and time.monotonic() < deadline:
        time.sleep(0.05)
    return served


def verify(cluster, sender: str, opening: str) -> str:
    say(cluster, sender, opening)
    say(cluster, sender, PHONE)
    return say(cluster, sender, latest_code(cluster.bank_url, sender))


# ------------------------------------------------------------------ the bank and the tracker store
def savings(cluster) -> dict:
    with session_scope(cluster.bank_url) as session:
        account = session.scalars(select(Account).where(Account.card_number.like("%1234"))).one()
        transfers = [a for a in session.scalars(select(AuditLog)) if a.action == "transfer"]
        result = {"balance": Decimal(account.balance), "transfers": len(transfers)}
    get_engine(cluster.bank_url).dispose()
    return result


def user_events(cluster, sender: str) -> List[dict]:
    """The conversation's events as the tracker store holds them, in order."""
    engine = create_engine(cluster.tracker_url, future=True)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT type_name, data FROM events WHERE sender_id = :sender ORDER BY id"), {"sender": sender}
            ).all()
    finally:
        engine.dispose()
    return [{"type": row.type_name, **event_data(row.data)} for row in rows]


# ------------------------------------------------------------------ the faults
def test_a_replica_killed_in_the_middle_of_a_form_another_one_carries_on(cluster):
    sender = new_sender("kill-replica")
    cluster.haproxy.set_state(RASA, "r2", "maint")  # the form's first turns all on replica 1
    try:
        assert "手机号" in say(cluster, sender, "转账")
        assert "验证码" in say(cluster, sender, PHONE)
    finally:
        cluster.haproxy.set_state(RASA, "r2", "ready")
    cluster.wait_balanced()
    before = len(served_by(cluster))
    cluster.kill(cluster.replicas[0])  # kill -9 the replica that has served this conversation so far
    try:
        reply = say(cluster, sender, latest_code(cluster.bank_url, sender))
        assert "验证成功" in reply and "转给谁" in reply, "the transfer form did not go on where it was"
        assert served_since(cluster, before, 1) == ["rasa/r2"]
        assert "转多少钱" in say(cluster, sender, "李娜")
    finally:
        cluster.restart_replica(0)


def test_the_action_server_killed_during_a_transfer_confirmation_moves_money_at_most_once(cluster):
    sender = new_sender("kill-actions")
    verify(cluster, sender, "转账")
    say(cluster, sender, "李娜")
    assert "请确认" in say(cluster, sender, "两千")
    before = savings(cluster)
    frozen = cluster.action_servers[0]
    cluster.haproxy.set_state(ACTIONS, "a2", "maint")  # the confirmation goes to action server 1 ...
    answer: dict = {}
    try:
        frozen.send_signal(signal.SIGSTOP)  # it takes the request and never answers ...

        def confirm() -> None:
            answer["status"], answer["messages"] = post(cluster, sender, "确认")

        confirming = threading.Thread(target=confirm)
        confirming.start()
        time.sleep(3)
        cluster.kill(frozen)  # ... and is killed with the request in hand
        cluster.haproxy.set_state(ACTIONS, "a2", "ready")
        confirming.join(180)
    finally:
        cluster.haproxy.set_state(ACTIONS, "a2", "ready")
        if frozen.poll() is not None:
            cluster.restart_action_server(0)
    after = savings(cluster)
    moved = before["balance"] - after["balance"]
    assert moved in (Decimal("0"), Decimal("2000.00")) and after["transfers"] - before["transfers"] in (0, 1)
    assert answer.get("status") == 200
    said = "\n".join(m.get("text") or "" for m in answer["messages"])
    assert said.strip(), "the customer got no answer to the confirmation"
    calls = [line for line in cluster.haproxy.log.read_text(encoding="utf-8").splitlines() if " actions_in " in line]
    print(f"confirmation with the action server killed: moved {moved}; the customer was told: {said!r}")
    print("HAProxy's last action calls:\n" + "\n".join(calls[-3:]))
    # The customer asks again: the money moves at most once in all.
    again = say(cluster, sender, "确认")
    print(f"and on confirming again: {again!r}")
    final = savings(cluster)
    assert before["balance"] - final["balance"] in (Decimal("0"), Decimal("2000.00"))
    assert final["transfers"] - before["transfers"] <= 1


def test_the_action_server_killed_inside_the_money_transaction_moves_nothing_twice(cluster):
    """The action server is killed while its transfer waits inside its database transaction (the test
    holds the account's row lock): nothing of it is committed; Rasa runs the action again on the other
    action server, which moves the money once."""
    sender = new_sender("kill-in-transaction")
    verify(cluster, sender, "转账")
    say(cluster, sender, "李娜")
    assert "请确认" in say(cluster, sender, "一百")
    before = savings(cluster)
    victim = cluster.action_servers[0]
    cluster.haproxy.set_state(ACTIONS, "a2", "maint")  # the confirmation goes to action server 1
    answer: dict = {}

    def confirm() -> None:
        answer["status"], answer["messages"] = post(cluster, sender, "确认")

    engine = create_engine(cluster.bank_url, future=True)
    try:
        with engine.connect() as holder:
            holder.execute(text("SELECT id FROM accounts WHERE card_number LIKE '%1234' FOR UPDATE"))
            confirming = threading.Thread(target=confirm)
            confirming.start()
            wait_for_lock_waiter(engine)  # action server 1 is inside its transaction, waiting
            cluster.haproxy.set_state(ACTIONS, "a2", "ready")
            cluster.kill(victim)
            holder.rollback()  # the row free again
        confirming.join(180)
    finally:
        cluster.haproxy.set_state(ACTIONS, "a2", "ready")
        engine.dispose()
        cluster.restart_action_server(0)
    after = savings(cluster)
    said = "\n".join(m.get("text") or "" for m in answer.get("messages", []))
    print(f"killed inside the transaction: moved {before['balance'] - after['balance']}; told: {said!r}")
    calls = [line for line in cluster.haproxy.log.read_text(encoding="utf-8").splitlines() if " actions_in " in line]
    print("HAProxy's last action calls:\n" + "\n".join(calls[-4:]))
    assert answer.get("status") == 200 and said.strip(), "the customer got no answer"
    assert before["balance"] - after["balance"] in (Decimal("0"), Decimal("100.00"))
    assert after["transfers"] - before["transfers"] <= 1
    assert ("转账成功" in said) == (after["transfers"] == before["transfers"] + 1), "what was said is what happened"


def wait_for_lock_waiter(engine, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
    )
    while time.monotonic() < deadline:
        with engine.connect() as connection:
            if connection.scalar(query):
                return
        time.sleep(0.1)
    raise AssertionError("no transaction came to wait for the account's row")


def test_postgres_restarted_service_resumes_without_restarting_the_app(cluster):
    """Every turn after the restart is answered from the stored conversation (the customer is still
    verified) and stored: no turn on an empty stand-in tracker (bot/tracker_store.py)."""
    sender = new_sender("pg-restart")
    verify(cluster, sender, "查余额")
    stored = len([e for e in user_events(cluster, sender) if e["type"] == "user"])
    pids = [p.pid for p in cluster.replicas + cluster.action_servers + [cluster.gateway]]
    cluster.postgres.restart()
    for _turn in range(4):  # both replicas, twice each (round robin)
        assert "可用余额" in say(cluster, sender, "查余额"), "the verified conversation after the restart"
    assert len([e for e in user_events(cluster, sender) if e["type"] == "user"]) == stored + 4
    assert page_turn(cluster, "你们几点下班？") == [], "the web page's chat after the restart"
    assert [p.pid for p in cluster.replicas + cluster.action_servers + [cluster.gateway]] == pids
    assert all(p.poll() is None for p in cluster.replicas + cluster.action_servers + [cluster.gateway])


def test_postgres_down_the_customer_is_told_to_try_again_and_the_conversation_waits_whole(cluster):
    """While the tracker store's database is down, a turn fails (Rasa's own wrapper would answer it from
    an empty tracker: a verified customer asked to verify again, the turn kept in one replica's memory);
    when it is back, the conversation goes on where it was."""
    sender = new_sender("pg-down")
    verify(cluster, sender, "查余额")
    stored = len(user_events(cluster, sender))
    cluster.postgres.stop()
    try:
        for _turn in range(2):  # both replicas
            status, messages = post(cluster, sender, "查余额")
            assert (status, messages) == (500, []), "answered without the stored conversation"
        # The page cannot show the conversation so far: it says 系统繁忙，请稍后再试。 (chat.js)
        assert page_turn(cluster, "你们几点下班？") == ["assistant_unavailable"]
    finally:
        cluster.postgres.start()
        cluster.postgres.wait_ready()
    assert "可用余额" in say(cluster, sender, "查余额"), "still verified once the database is back"
    events = user_events(cluster, sender)
    assert [e["text"] for e in events[stored:] if e["type"] == "user"] == ["查余额"], "only the answered turn stored"


def test_redis_unavailable_the_customer_gets_a_clear_error_and_no_turn_runs_unlocked(cluster):
    sender = new_sender("redis-down")
    assert say(cluster, sender, "你好")
    events_before = len(user_events(cluster, sender))
    cluster.redis.stop()
    try:
        status, _ = post(cluster, sender, "你们几点下班？")
        assert status == 500  # Rasa refuses the turn: it cannot take the conversation's lock
        page = page_turn(cluster, "你们几点下班？")
        # The greeting of the page's new conversation and the message: each refused, each said as
        # 系统繁忙，请稍后再试。 by the page (voice/web/static/chat.js).
        assert page == ["assistant_unavailable"] * 2
        assert len(user_events(cluster, sender)) == events_before, "a turn ran without the conversation's lock"
    finally:
        cluster.redis.start(cluster.group)
    assert say(cluster, sender, "你们几点下班？")


def test_one_conversation_is_never_on_two_replicas_at_once(cluster):
    """Ten messages of one conversation posted at once, spread over both replicas by HAProxy: the
    lock makes them take turns, so the tracker holds each message followed by its whole answer."""
    sender = new_sender("lock")
    texts = [f"信用卡的最低还款是怎么算的？{i}" for i in range(10)]
    before = len(served_by(cluster))
    statuses: List[int] = []
    threads = [threading.Thread(target=lambda t=t: statuses.append(post(cluster, sender, t, 300)[0])) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(300)
    assert statuses == [200] * len(texts), "every message answered (none dropped waiting for the lock)"
    assert set(served_since(cluster, before, len(texts))) == {"rasa/r1", "rasa/r2"}
    events = user_events(cluster, sender)
    said = [e["text"] for e in events if e["type"] == "user"]
    assert sorted(said) == sorted(texts), "each message exactly once"
    turns = split_turns(events)
    for turn in turns:
        kinds = [e["type"] for e in turn]
        assert kinds[-1] == "action" and turn[-1].get("name") == "action_listen", f"a turn was cut into: {kinds}"
        assert "bot" in kinds
        assert kinds.count("user") == 1


def split_turns(events: List[dict]) -> List[List[dict]]:
    turns: List[List[dict]] = []
    for event in events:
        if event["type"] == "user":
            turns.append([])
        if turns:
            turns[-1].append(event)
    return turns


def page_turn(cluster, message: str) -> List[Optional[str]]:
    """One turn on the web page through the front door: the error codes the page got."""
    import asyncio

    from tests.bench.web import PageSession

    async def go() -> List[Optional[str]]:
        page = PageSession(cluster.front_door, "redis-down")
        try:
            try:
                await page.open()
            except RuntimeError:  # the page got no history: only what it was told instead
                return [e.get("code") for e in page.live if e.get("type") == "error"]
            await page.turn(0, message)
            return [e.get("code") for e in page.live if e.get("type") == "error"]
        finally:
            await page.hang_up()
            await page.close()

    return asyncio.run(go())


# ------------------------------------------------------------------ the console's 发布 in a cluster
def test_the_consoles_publish_reaches_every_replica_not_the_one_haproxy_picks(cluster, monkeypatch):
    """The gateway's console loads a published model through RasaServer.from_env(): with the
    gateway's environment it names both replicas' own addresses, and finds both running the model."""
    from bot.editing.publish import RasaServer

    raw = Path(f"/proc/{cluster.gateway.pid}/environ").read_bytes().split(b"\0")
    environment = dict(item.decode().split("=", 1) for item in raw if b"=" in item)
    for name in ("RASA_URL", "RASA_TOKEN", "RASA_REPLICA_URLS"):
        monkeypatch.setenv(name, environment[name])
    server = RasaServer.from_env()
    assert server.replicas == tuple(f"http://127.0.0.1:{port}" for port in cluster.rasa_ports)
    assert server.running() == cluster.model.name
