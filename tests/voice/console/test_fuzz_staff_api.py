"""The staff API fuzzed (hypothesis), served as create_app serves it with the desk, the console
and its editing API: any login body, any CSRF header, any query to the console's reads, any JSON
to its changes, any frames on the desk's websocket. Never a 5xx, an error naming the problem, the
server answers a signed-in staff member normally afterwards. Rasa is the stand-in of
tests/voice/web/doubles.py."""

import asyncio
import gc
import json
from collections.abc import Iterator

import pytest
from aiohttp import ClientSession, WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import example, given
from hypothesis import strategies as st

from bot.editing.workspace import Workspace
from bot.review import ConversationStore
from tests.bot.editing.conftest import copy_sources
from tests.voice.console import seed
from tests.voice.console.staff_accounts import PASSWORDS, staff_store
from tests.voice.fuzzing import error_records, fuzz_settings, loop_thread
from tests.voice.web.doubles import TrackerAssistant
from voice.desk.auth import COOKIE as STAFF_COOKIE
from voice.desk.auth import CSRF_HEADER
from voice.desk.desk import Desk
from voice.desk.hours import ServiceHours
from voice.web.gateway import WebGateway
from voice.web.server import MAX_FRAME_BYTES, create_app
from voice.web.sessions import SessionCookies

API = "/staff/console/api"
SILENT_AT_MOST_S = 15.0  # the desk answers at once: a socket silent this long has stopped answering
READS = ["/staff/console/conversations", "/staff/console/analytics.json", "/staff/console/analytics.csv",
         f"{API}/failures", f"{API}/faqs", f"{API}/audit", f"{API}/versions", f"{API}/targets"]  # fmt: skip
CHANGES = [("POST", "/staff/accounts"), ("POST", f"{API}/faqs"), ("PUT", f"{API}/faqs/baitiao_intro"),
           ("PUT", f"{API}/faqs/baitiao_intro/enabled"), ("POST", f"{API}/intents/check_balance/examples"),
           ("PUT", f"{API}/intents/check_balance/examples"), ("DELETE", f"{API}/intents/check_balance/examples"),
           ("PUT", f"{API}/wording/utter_greet"), ("POST", f"{API}/failures/assign"),
           ("POST", f"{API}/failures/dismiss"), ("POST", f"{API}/versions/1/rollback"),
           ("POST", "/staff/logout")]  # fmt: skip
NAMES = st.sampled_from(["since", "until", "channel", "intent", "faq", "fallback", "handoff", "outcome", "period",
                         "q", "limit", "kind", "status"]) | st.text(max_size=8)  # fmt: skip
VALUES = st.sampled_from(["2026-03-02", "2026-13-45", "day", "week", "chat", "call", "yes", "", "-1", "1e9"]) | st.text(
    max_size=30
)
ANY_TEXT = st.lists(st.sampled_from(["\ud800", "你", "x", " "]) | st.characters(), max_size=30).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
FIELDS = st.sampled_from(["etag", "id", "category", "questions", "answer", "answer_voice", "enabled", "text",
                          "old", "variants", "new_voice", "username", "password", "role", "name", "keys",
                          "target"])  # fmt: skip
BODIES = st.one_of(
    st.dictionaries(FIELDS, JSON_VALUES, max_size=6).map(json.dumps),
    JSON_VALUES.map(json.dumps),
    st.binary(max_size=300),
)
TEXT_BODIES = BODIES.map(lambda body: body.decode("latin-1") if isinstance(body, bytes) else body)
# what a client may put in a header: any byte but CR, LF and NUL
HEADER_BYTES = st.binary(max_size=60).map(lambda b: b.replace(b"\r", b"").replace(b"\n", b"").replace(b"\0", b""))


class Served:
    """The staff pages on their own loop, and a browser signed in as the admin."""

    def __init__(self, thread, directory) -> None:
        self.thread = thread
        tracker = directory / "tracker.db"
        seed.save(str(tracker))
        self.staff_gen = staff_store(directory)
        staff = next(self.staff_gen)
        self.conversations = ConversationStore(f"sqlite:///{tracker}")
        workspace = Workspace.at(copy_sources(directory / "root"), directory / "state")
        assistant = TrackerAssistant()
        desk = Desk(assistant, None, ServiceHours.parse("00:00-24:00"))
        gateway = WebGateway(assistant, calls=None, desk=desk)
        app = create_app(gateway, SessionCookies(b"k" * 32), staff=staff, conversations=self.conversations,
                         workspace=workspace)  # fmt: skip
        self.client: TestClient = thread.run(self._start(app))

    async def _start(self, app) -> TestClient:
        client = TestClient(TestServer(app))
        await client.start_server()
        self.origin = {"Origin": f"http://{client.host}:{client.port}"}
        self.browser = ClientSession()  # a session that does not keep every response, as the test client does
        self.token = await self.log_in()
        return client

    async def log_in(self) -> str:
        url = f"http://{self.origin['Origin'].split('//')[1]}"
        answer = await self.browser.post(f"{url}/staff/login", json={"username": "boss", "password": PASSWORDS["boss"]},
                                         headers=self.origin)  # fmt: skip
        assert answer.status == 200, await answer.text()
        self.cookie = answer.cookies[STAFF_COOKIE].value
        me = await self.browser.get(f"{url}/staff/me", headers={"Cookie": f"{STAFF_COOKIE}={self.cookie}"})
        return (await me.json())["csrf"]

    def url(self, path: str) -> str:
        return f"http://{self.origin['Origin'].split('//')[1]}{path}"

    def signed_in(self, **more) -> dict:
        return {**self.origin, "Cookie": f"{STAFF_COOKIE}={self.cookie}", CSRF_HEADER: self.token, **more}

    async def ask(self, method: str, path: str, **options) -> tuple:
        async with self.browser.request(method, self.url(path), **options) as answer:
            return answer.status, await answer.text(errors="replace"), answer.headers.get("Content-Type", "")

    def still_serves(self) -> None:
        status, text, _ = self.thread.run(self.ask("GET", "/staff/me", headers=self.signed_in()))
        assert status == 200 and json.loads(text)["csrf"] == self.token, text

    def stop(self) -> None:
        self.thread.run(self.browser.close())
        self.thread.run(self.client.close())
        self.conversations.close()
        next(self.staff_gen, None)


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Served]:
    with loop_thread() as thread:
        served = Served(thread, tmp_path_factory.mktemp("staff_fuzz"))
        yield served
        served.stop()


@pytest.fixture
def errors() -> Iterator:
    with error_records("aiohttp", "voice", "bot") as records:
        yield records


def refused_clearly(status: int, text: str, content_type: str) -> None:
    """A client error says what was wrong: JSON naming an error, or (aiohttp's own) a plain sentence."""
    assert status < 500, (status, text[:300])
    if status >= 400:
        if "json" in content_type:
            assert json.loads(text).get("error"), text
        else:
            assert text.strip(), status


@fuzz_settings(max_examples=150)
@given(body=BODIES, same_origin=st.booleans())
def test_any_login_body_is_refused_clearly(served, errors, body, same_origin):
    headers = {**(served.origin if same_origin else {}), "Content-Type": "application/json"}
    status, text, kind = served.thread.run(served.ask("POST", "/staff/login", data=body, headers=headers))
    refused_clearly(status, text, kind)
    assert status in (400, 401, 403), (status, text)
    assert errors.take() == [] and served.thread.failures == []


@fuzz_settings(max_examples=150)
@given(path=st.sampled_from(READS), query=st.lists(st.tuples(NAMES, VALUES), max_size=4))
def test_any_query_to_the_console_gets_an_answer_or_names_the_parameter(served, errors, path, query):
    status, text, kind = served.thread.run(served.ask("GET", path, params=query, headers=served.signed_in()))
    refused_clearly(status, text, kind)
    if status == 400 and "json" in kind:
        assert "problem" in json.loads(text), text
    assert errors.take() == [] and served.thread.failures == []


@fuzz_settings(max_examples=300)
@given(change=st.sampled_from(CHANGES), body=BODIES)
def test_any_change_request_is_refused_clearly(served, errors, change, body):
    method, path = change
    if path == "/staff/logout":
        body = ""  # (a successful logout would end the session the other examples use)
        headers = served.signed_in(**{CSRF_HEADER: "not the token"})
    else:
        headers = served.signed_in(**{"Content-Type": "application/json"})
    status, text, kind = served.thread.run(served.ask(method, path, data=body, headers=headers))
    refused_clearly(status, text, kind)
    assert errors.take() == [] and served.thread.failures == []
    served.still_serves()


@fuzz_settings(max_examples=150)
@given(token=HEADER_BYTES, cookie=HEADER_BYTES)
@example(token=b"S2\xf3c", cookie=b"")  # found: a token of bytes that are not UTF-8 was a 500
def test_any_csrf_token_or_cookie_bytes_are_refused_clearly(served, errors, token, cookie):
    async def raw_request() -> bytes:
        host, port = served.client.host, served.client.port
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(
            b"POST /staff/accounts HTTP/1.1\r\nHost: " + f"{host}:{port}".encode() + b"\r\nOrigin: "
            + served.origin["Origin"].encode() + b"\r\nCookie: " + f"{STAFF_COOKIE}={served.cookie}".encode()
            + b"; other=" + cookie + b"\r\n" + CSRF_HEADER.encode() + b": " + token
            + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        )  # fmt: skip
        await writer.drain()
        answer = await reader.read()
        writer.close()
        return answer

    answer = served.thread.run(raw_request())
    status_line = answer.split(b"\r\n", 1)[0]
    assert status_line.split(b" ")[1] in (b"400", b"403"), answer[:400]
    assert errors.take() == [] and served.thread.failures == []
    served.still_serves()


def test_an_oversized_body_is_refused_naming_the_size(served, errors):
    body = json.dumps({"username": "boss", "password": "x" * MAX_FRAME_BYTES})
    status, text, _ = served.thread.run(
        served.ask("POST", "/staff/login", data=body, headers={**served.origin, "Content-Type": "application/json"})
    )
    assert status == 413 and f"{MAX_FRAME_BYTES}" in text, (status, text)
    served.still_serves()


@fuzz_settings(max_examples=60)
@given(frames=st.lists(TEXT_BODIES, max_size=5), hello_first=st.booleans())
def test_no_frames_break_the_desk_socket(served, errors, frames, hello_first):
    async def desk() -> dict:
        async with served.browser.ws_connect(served.url("/staff/desk/ws"), headers=served.signed_in()) as ws:
            if hello_first:
                await ws.send_json({"type": "hello", "csrf": served.token})
            for frame in frames:
                await ws.send_str(frame)
            await ws.send_json({"type": "available", "on": False})
            first = await ws.receive(timeout=SILENT_AT_MOST_S)
            return json.loads(first.data) if first.type is WSMsgType.TEXT else {"closed": first.type.name}

    first = served.thread.run(desk())
    # without the hello first the socket is refused, naming why; with it, the desk greets the agent
    assert first.get("type") == ("welcome" if hello_first else "error"), first
    if not hello_first:
        assert first["code"] == "csrf"
    served.thread.call(
        gc.collect
    )  # a task left pending (found: the desk's writer, when the handler was cancelled) is reported now
    assert errors.take() == [] and served.thread.failures == []
    served.still_serves()
