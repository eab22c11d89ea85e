"""The desk's websocket over HTTP: who may open it, the CSRF hello, and a take through it."""

import asyncio

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from tests.voice.desk.test_accounts import CountingHasher, VirtualClock
from tests.voice.desk.test_auth import AGENT_PASSWORD, csrf_of, log_in, origin
from tests.voice.web.doubles import TrackerAssistant
from voice.assistant import Reply
from voice.desk import routes
from voice.desk.accounts import StaffStore
from voice.desk.auth import StaffAuth
from voice.desk.desk import Desk
from voice.desk.hours import ServiceHours
from voice.web.server import security_headers

EDITOR_PASSWORD = "editor password 1"
CARD = {"ticket": "H000003", "priority": "normal", "summary": {"reason": "客户要求人工服务"}}


class Waiting:
    rasa_id = "web-s9"

    def __init__(self) -> None:
        self.shown: list = []

    def show(self, event):
        self.shown.append(event)

    def call(self):
        return None

    async def hang_up(self):
        pass


@pytest.fixture
def store(tmp_path):
    store = StaffStore(f"sqlite:///{tmp_path / 'staff.db'}", clock=VirtualClock(), hasher=CountingHasher())
    store.add("wang", AGENT_PASSWORD, "agent", name="王敏")
    store.add("zhou", EDITOR_PASSWORD, "editor", name="周编辑")
    yield store
    store.engine.dispose()


def run(store: StaffStore, test):
    async def go():
        rasa = TrackerAssistant({"x": [Reply("x")]})
        desk = Desk(rasa, None, ServiceHours.parse("00:00-24:00"))
        app = web.Application(middlewares=[security_headers])
        StaffAuth(store).add_routes(app)
        routes.add_routes(app, desk)
        async with TestClient(TestServer(app)) as client:
            await test(client, desk, rasa)

    asyncio.run(go())


async def next_of(ws, kind: str) -> dict:
    while True:
        event = await asyncio.wait_for(ws.receive_json(), 5)
        if event.get("type") == kind:
            return event


def test_an_agent_opens_the_desk_says_hello_with_the_csrf_token_and_takes_a_customer(store):
    async def test(client, desk, rasa):
        await log_in(client, "wang", AGENT_PASSWORD)
        async with client.ws_connect("/staff/desk/ws", headers=origin(client)) as ws:
            await ws.send_json({"type": "hello", "csrf": await csrf_of(client)})
            welcome = await next_of(ws, "welcome")
            assert welcome["agent"] == {"username": "wang", "name": "王敏"}
            customer = Waiting()
            desk.request(customer, CARD, "chat")
            queued = (await next_of(ws, "queue"))["waiting"]
            while not queued:  # the queue as it was on connecting comes first
                queued = (await next_of(ws, "queue"))["waiting"]
            [waiting] = queued
            await ws.send_json({"type": "take", "id": waiting["id"]})
            history = await next_of(ws, "history")
            assert history["id"] == waiting["id"]
            assert rasa.desk_turns == [("web-s9", "take", "王敏", {})]
            assert customer.shown[-1]["text"] == "人工客服王敏已接入。"
            await ws.send_json({"type": "say", "id": "no-such", "text": "你好"})
            assert (await next_of(ws, "error")) == {"type": "error", "code": "not_held", "id": "no-such"}

    run(store, test)


def test_without_the_csrf_hello_the_desk_socket_is_closed(store):
    async def test(client, desk, _rasa):
        await log_in(client, "wang", AGENT_PASSWORD)
        async with client.ws_connect("/staff/desk/ws", headers=origin(client)) as ws:
            await ws.send_json({"type": "hello", "csrf": "forged"})
            assert await ws.receive_json() == {"type": "error", "code": "csrf"}
            assert (await ws.receive()).type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED)
        assert desk.seats == {}

    run(store, test)


def test_only_agents_from_this_site_reach_the_desk(store):
    async def test(client, _desk, _rasa):
        assert (await client.get("/staff/desk/ws")).status == 401  # not logged in
        await log_in(client, "wang", AGENT_PASSWORD)
        foreign = await client.get("/staff/desk/ws", headers={"Origin": "https://evil.example"})
        assert foreign.status == 403
        await client.post("/staff/logout", headers={"X-CSRF-Token": await csrf_of(client)})
        await log_in(client, "zhou", EDITOR_PASSWORD)
        assert (await client.get("/staff/desk/ws", headers=origin(client))).status == 403  # an editor
        assert (await client.get("/staff/desk", headers={"Accept": "text/html"})).status == 403

    run(store, test)
