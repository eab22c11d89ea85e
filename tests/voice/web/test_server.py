import asyncio

from aiohttp import WSMsgType
from aiohttp.test_utils import TestClient, TestServer

from voice.web.gateway import WebGateway
from voice.web.server import create_app
from voice.web.sessions import COOKIE, SessionCookies

from .doubles import TrackerAssistant

KEY = b"k" * 32


def run(test):
    async def go():
        assistant = TrackerAssistant()
        app = create_app(WebGateway(assistant, calls=None), SessionCookies(KEY), origins=["https://bank.example"])
        async with TestClient(TestServer(app)) as client:
            await test(client, assistant)

    asyncio.run(go())


def origin(client: TestClient) -> dict:
    return {"Origin": f"http://{client.host}:{client.port}"}


def test_the_page_comes_with_a_session_cookie_only_the_server_can_read():
    async def test(client, _assistant):
        answer = await client.get("/")
        assert answer.status == 200 and "text/html" in answer.headers["Content-Type"]
        cookie = answer.cookies[COOKIE]
        assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
        assert SessionCookies(KEY).verify(cookie.value) is not None
        assert answer.headers["Cache-Control"] == "no-store"

    run(test)


def test_a_returning_visitor_keeps_the_conversation():
    async def test(client, _assistant):
        first = (await client.get("/")).cookies[COOKIE].value
        again = (await client.get("/")).cookies[COOKIE].value  # the client sends the first cookie back
        cookies = SessionCookies(KEY)
        assert cookies.verify(again) == cookies.verify(first)

    run(test)


def test_every_answer_forbids_framing_and_foreign_scripts():
    async def test(client, _assistant):
        for path in ("/", "/static/chat.js", "/static/no-such-file.js", "/ws"):
            answer = await client.get(path)
            assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], path
            assert "script-src 'self'" in answer.headers["Content-Security-Policy"], path
            assert answer.headers["X-Frame-Options"] == "DENY", path
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path

    run(test)


def test_the_websocket_needs_a_cookie_this_server_issued():
    async def test(client, _assistant):
        client.session.cookie_jar.clear()
        assert (await client.get("/ws", headers=origin(client))).status == 401
        client.session.cookie_jar.update_cookies({COOKIE: "made-up.1.abc"})
        assert (await client.get("/ws", headers=origin(client))).status == 401

    run(test)


def test_another_sites_page_cannot_open_the_websocket():
    async def test(client, _assistant):
        await client.get("/")
        assert (await client.get("/ws", headers={"Origin": "https://evil.example"})).status == 403
        assert (await client.get("/ws")).status == 403  # no Origin: not a browser on our page
        async with client.ws_connect("/ws", headers={"Origin": "https://bank.example"}) as ws:  # configured
            assert (await ws.receive_json())["type"] == "ready"

    run(test)


def test_the_websocket_speaks_the_protocol_and_no_message_names_a_conversation():
    async def test(client, assistant):
        await client.get("/")
        async with client.ws_connect("/ws", headers=origin(client)) as ws:
            assert [(await ws.receive_json())["type"] for _ in range(2)] == ["ready", "history"]
            await ws.send_json({"type": "message", "id": "m-00000001", "text": "你好", "sender": "web-victim"})
            seen = []
            while not seen or seen[-1] != {"type": "typing", "on": False} or len(seen) < 7:
                seen.append(await ws.receive_json())
            await ws.send_bytes(b"\x00\x01")  # audio without a call
            assert (await ws.receive_json()) == {"type": "error", "code": "bad_message"}
        conversations = {conversation for conversation, *_ in assistant.received}
        assert len(conversations) == 1 and "web-victim" not in conversations
        assert ("你好", "m-00000001") in {(text, mid) for _, text, _, mid in assistant.received}

    run(test)


def test_an_oversized_frame_closes_only_that_socket():
    async def test(client, _assistant):
        await client.get("/")
        async with client.ws_connect("/ws", headers=origin(client)) as ws:
            await ws.receive_json()
            await ws.send_bytes(b"\x00" * (128 * 1024))
            while (await ws.receive()).type not in (WSMsgType.CLOSE, WSMsgType.CLOSED, WSMsgType.CLOSING):
                pass
        assert (await client.get("/healthz")).status == 200

    run(test)
