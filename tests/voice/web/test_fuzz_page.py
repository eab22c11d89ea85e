"""The web page's server fuzzed (hypothesis): any HTTP request, any bytes on the socket and any
websocket frames a page could send. No answer is a 5xx, no handler or task fails, the server
answers a normal request afterwards and keeps no memory per bad input. Rasa is the stand-in of
tests/voice/web/doubles.py: the unit under test is the gateway."""

import asyncio
import json
from collections.abc import Iterator

import pytest
from aiohttp import ClientSession, WSMsgType
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from tests.voice.fuzzing import error_records, fuzz_settings, growth, loop_thread
from tests.voice.transports.clients import call_services
from voice.web.gateway import WebGateway
from voice.web.limits import RateLimit
from voice.web.protocol import MAX_TEXT
from voice.web.server import MAX_FRAME_BYTES, SECURITY_HEADERS, create_app
from voice.web.sessions import COOKIE, SessionCookies
from voice.web.socket_out import drain

from .doubles import TrackerAssistant

KEY = b"k" * 32
UNLIMITED = dict(per_minute=1e9, burst=10**9)  # the limits have their own tests; here they would hide the rest
PATHS = ["/", "/ws", "/healthz", "/static/chat.js", "/static/", "/static/../../etc/passwd", "/staff/login", "/x"]
SILENT_AT_MOST_S = 15.0  # the stand-in answers at once: a socket silent this long has stopped answering
HTTP_PIECES = [b"GET / HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n", b"Content-Length: 99999999\r\n",
               b"Transfer-Encoding: chunked\r\n", b"\x00\xff", b"zz\r\n"]  # fmt: skip
METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"]
# any character, and often a lone surrogate (a page's JavaScript can send one, escaped in JSON;
# st.text() all but never draws them), a Chinese character, a slash (typed commands)
ANY_TEXT = st.lists(st.sampled_from(["\ud800", "\udfff", "你", "/", " "]) | st.characters(), max_size=40).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
MESSAGE_IDS = st.from_regex(r"\A[A-Za-z0-9_-]{8,64}\Z") | ANY_TEXT
PROTOCOL_EVENTS = st.one_of(
    st.fixed_dictionaries(
        {"type": st.just("message"), "id": MESSAGE_IDS, "text": ANY_TEXT | st.text(min_size=MAX_TEXT, max_size=600)}
    ),
    st.fixed_dictionaries({"type": st.just("button"), "id": MESSAGE_IDS, "payload": ANY_TEXT, "title": JSON_VALUES}),
    st.fixed_dictionaries({"type": st.sampled_from(["call_start", "call_end", "key"]), "key": JSON_VALUES}),
    st.dictionaries(st.sampled_from(["type", "id", "text", "payload", "key"]), JSON_VALUES, max_size=4),
)
TEXT_FRAMES = st.one_of(
    PROTOCOL_EVENTS.map(json.dumps),  # ensure_ascii: lone surrogates go as \\udXXX escapes, as JavaScript sends them
    JSON_VALUES.map(json.dumps),
    st.text(max_size=200),
)
FRAMES = st.one_of(TEXT_FRAMES, st.binary(max_size=2000))


class Served:
    """The page's server on its own loop, with a session cookie, as a browser holds it."""

    def __init__(self, thread, calls=None) -> None:
        self.thread = thread
        self.assistant = TrackerAssistant()
        self.gateway = WebGateway(
            self.assistant, calls=calls, per_session=RateLimit(**UNLIMITED), per_address=RateLimit(**UNLIMITED)
        )
        self.client: TestClient = thread.run(self._start())
        self.sent = 0

    async def _start(self) -> TestClient:
        client = TestClient(TestServer(create_app(self.gateway, SessionCookies(KEY))))
        await client.start_server()
        self.cookie = (await client.get("/")).cookies[COOKIE].value
        # the test client keeps every response and socket it opened: sockets go through a session that does not
        self.browser = ClientSession()
        return client

    def origin(self) -> dict:
        return {"Origin": f"http://{self.client.host}:{self.client.port}"}

    def page_headers(self) -> dict:
        return {**self.origin(), "Cookie": f"{COOKIE}={self.cookie}"}

    async def talk(self, frames: list) -> list:
        """Sends ``frames`` on a new websocket, then a normal message: what came back until its
        answer ended, those after its acknowledgement marked ``"after": True``."""
        self.sent += 1
        message_id = f"normal-{self.sent:08d}"
        got: list = []
        acked = False
        async with self.browser.ws_connect(self.client.make_url("/ws"), headers=self.page_headers()) as ws:
            for frame in frames:
                await (ws.send_bytes(frame) if isinstance(frame, bytes) else ws.send_str(frame))
            await ws.send_json({"type": "message", "id": message_id, "text": "你好"})
            while True:
                received = await ws.receive(timeout=SILENT_AT_MOST_S)
                if received.type is WSMsgType.BINARY:  # the bot's voice on a call
                    continue
                if received.type is not WSMsgType.TEXT:
                    got.append({"closed": received.type.name, "code": ws.close_code})
                    break
                event = json.loads(received.data)
                got.append({**event, "after": acked} if acked else event)
                acked = acked or (event.get("type") == "ack" and event.get("id") == message_id)
                if acked and event == {"type": "typing", "on": False}:
                    break
        return got

    def stop(self) -> None:
        self.thread.run(self.browser.close())
        self.thread.run(self.client.close())


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with loop_thread() as thread:
        served = Served(thread)
        yield served
        served.stop()


@pytest.fixture(scope="module")
def calling(served) -> Iterator[Served]:
    """The page with calls (a scripted recogniser and tones for a voice), on the same loop."""
    calling = Served(served.thread, calls=call_services(greeting="您好。"))
    yield calling
    calling.stop()


@pytest.fixture
def errors() -> Iterator:
    with error_records("aiohttp", "voice") as records:
        yield records


def answered_normally(served: Served) -> None:
    async def health() -> int:
        return (await served.client.get("/healthz")).status

    assert served.thread.run(health()) == 200


@fuzz_settings(max_examples=300)
@given(
    method=st.sampled_from(METHODS),
    path=st.sampled_from(PATHS) | st.text(max_size=60).map(lambda text: "/" + text.lstrip("/")),  # not //host
    query=st.dictionaries(st.text(max_size=10), st.text(max_size=30), max_size=3),
    headers=st.dictionaries(
        st.from_regex(r"\A[A-Za-z][A-Za-z0-9-]{0,20}\Z"), st.text(st.characters(codec="latin-1"), max_size=60)
    ),
    body=st.binary(max_size=4000),
)
def test_no_http_request_gets_a_server_error(served, errors, method, path, query, headers, body):
    headers = {name: value.replace("\r", " ").replace("\n", " ") for name, value in headers.items()}
    headers = {k: v for k, v in headers.items() if k.lower() not in ("content-length", "transfer-encoding", "host")}

    async def ask():
        answer = await served.client.request(method, path, params=query, headers=headers, data=body)
        return answer, await answer.text(errors="replace")

    answer, text = served.thread.run(ask())
    assert answer.status < 500, (answer.status, method, path)
    if answer.status == 400:  # a request aiohttp could not parse (it never reached the app): the problem named
        assert method == "HEAD" or text.strip(), answer
    else:
        assert answer.headers.get("X-Frame-Options") == SECURITY_HEADERS["X-Frame-Options"]
    assert errors.take() == [] and served.thread.failures == []
    answered_normally(served)


@fuzz_settings(max_examples=200)
@given(raw=st.binary(max_size=600) | st.lists(st.sampled_from(HTTP_PIECES)).map(b"".join))
def test_no_bytes_on_the_socket_get_a_server_error(served, errors, raw):
    async def send_raw() -> bytes:
        reader, writer = await asyncio.open_connection(served.client.host, served.client.port)
        writer.write(raw)
        await writer.drain()
        writer.write_eof()
        answer = await reader.read()
        writer.close()
        return answer

    answer = served.thread.run(send_raw())
    status_line = answer.split(b"\r\n", 1)[0]
    assert not status_line.startswith(b"HTTP/1.1 5"), (raw, answer[:300])
    assert errors.take() == [] and served.thread.failures == []
    answered_normally(served)


@fuzz_settings(max_examples=300)
@given(frames=st.lists(FRAMES, max_size=6))
def test_no_frames_break_the_page_socket(served, errors, frames):
    """Whatever came before, the page's next message is acknowledged and answered."""
    got = served.thread.run(served.talk(frames))
    assert any(e.get("type") == "ack" and e.get("id", "").startswith("normal-") for e in got), got
    assert any(e.get("type") == "message" and e.get("from") == "bot" and e.get("after") for e in got), got
    bad = [e for e in got if e.get("type") == "error"]
    assert {e["code"] for e in bad} <= {"bad_message", "too_long", "call_unavailable"}, bad
    assert errors.take() == [] and served.thread.failures == []


CALL_FRAMES = st.one_of(
    st.just(json.dumps({"type": "call_start"})),
    st.just(json.dumps({"type": "call_end"})),
    st.sampled_from(list("0123456789*#x") + ["", "12"]).map(lambda key: json.dumps({"type": "key", "key": key})),
    st.binary(max_size=1200),
    st.just(b"\x00" * 640),
    TEXT_FRAMES,
)


@fuzz_settings(max_examples=150)
@given(frames=st.lists(CALL_FRAMES, max_size=8))
def test_no_frames_break_a_call_from_the_page(calling, errors, frames):
    """Calls started, fed any audio and keys, hung up: the chat still answers and the call ends."""
    got = calling.thread.run(calling.talk([*frames, json.dumps({"type": "call_end"})]))
    assert any(e.get("type") == "message" and e.get("from") == "bot" and e.get("after") for e in got), got
    bad = [e for e in got if e.get("type") == "error"]
    assert {e["code"] for e in bad} <= {"bad_message", "too_long", "call_busy"}, bad
    assert errors.take() == [] and calling.thread.failures == []


def test_an_oversized_frame_is_closed_as_message_too_big(served, errors):
    async def oversized():
        async with served.client.ws_connect("/ws", headers=served.origin()) as ws:
            await ws.receive_json()
            await ws.send_str(json.dumps({"type": "message", "id": "m-0000001", "text": "x" * MAX_FRAME_BYTES}))
            while (await ws.receive()).type not in (WSMsgType.CLOSE, WSMsgType.CLOSED):
                pass
            return ws.close_code

    assert served.thread.run(oversized()) == 1009  # RFC 6455 "Message Too Big": the page says 消息太长
    assert errors.take() == []
    answered_normally(served)


def test_a_long_text_is_refused_naming_the_problem(served):
    got = served.thread.run(served.talk([json.dumps({"type": "message", "id": "long-0001", "text": "字" * 501})]))
    assert {"type": "error", "code": "too_long", "id": "long-0001"} in got


def test_bad_input_leaves_no_memory_behind(served):
    """A thousand sockets of bad frames: what the gateway keeps (conversations, tasks, rate-limit
    buckets) is back to nothing, and what its code allocated grew by less than 1 kB a socket."""
    bad = [json.dumps({"type": "message", "id": "m" * 9, "text": "x" * 600}), "{", b"\x00" * 321, '{"type":"key"}']

    def one_socket(n: int) -> None:
        for _ in range(10 if n == 0 else 1):
            served.thread.run(served.talk(bad))
        served.thread.call(served.assistant.said.clear)  # the stand-in's tracker store is not the gateway's memory
        served.thread.call(served.assistant.received.clear)

    def kept() -> tuple:
        gateway = served.gateway
        return len(gateway.conversations), len(gateway._tasks), len(gateway.per_session._buckets)

    grown = growth(one_socket, rounds=1000)
    assert served.thread.call(kept) == (0, 0, 0)
    # what the gateway's code holds is the property; all of Python's memory gets a looser bound,
    # as the test's own client and pytest keep a little per request too
    assert grown.ours < 1000 * 1024 and grown.total < 4 * 1000 * 1024, f"after 1000 sockets: {grown}"


# ----------------------------------------------------------------------------- what the fuzzing found


def test_a_message_with_a_lone_surrogate_is_refused_and_the_socket_goes_on(served):
    """Found by the fuzzing: the customer's own words came back unencodable and the page's socket
    stopped sending, so the page waited for ever."""
    frame = json.dumps({"type": "message", "id": "surrogate-1", "text": "卡号\ud800"})
    got = served.thread.run(served.talk([frame]))
    assert {"type": "error", "code": "bad_message", "id": "surrogate-1"} in got
    assert any(e.get("type") == "message" and e.get("from") == "bot" and e.get("after") for e in got), got


class EncodingSocket:
    """Sends as aiohttp does: text frames are UTF-8."""

    closed = False

    def __init__(self) -> None:
        self.sent: list = []

    async def send_str(self, data: str) -> None:
        self.sent.append(data.encode("utf-8").decode("utf-8"))


def test_an_event_with_a_lone_surrogate_still_goes_out_escaped():
    async def go() -> list:
        outbox: asyncio.Queue = asyncio.Queue()
        socket = EncodingSocket()
        for item in ({"type": "message", "text": "坐席\udfff"}, {"type": "message", "text": "您好"}, None):
            outbox.put_nowait(item)
        await drain(socket, outbox)  # type: ignore[arg-type]
        return socket.sent

    sent = asyncio.run(go())
    assert [json.loads(frame)["text"] for frame in sent] == ["坐席\udfff", "您好"]
    assert sent[1] == '{"type": "message", "text": "您好"}'  # Chinese unescaped as before
