"""The Twilio Media Streams websocket server fuzzed (hypothesis) on a real socket: any text or
binary messages, Twilio's messages with any fields, a call started then fed garbage. The server
closes that call with 1008 and a reason naming the problem (1009 for an oversized message), no
task fails, and the next well-behaved call is answered."""

import base64
import json
from collections.abc import Iterator

import pytest
import websockets
from hypothesis import example, given
from hypothesis import strategies as st

from tests.voice.fuzzing import error_records, fuzz_settings, loop_thread
from tests.voice.transports.clients import TWILIO_CONNECTED, call_services, twilio_start
from voice.transports import twilio

ANY_TEXT = st.lists(st.sampled_from(["\ud800", "你", "x", " "]) | st.characters(), max_size=30).map("".join)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(ANY_TEXT, inner, max_size=4),
    max_leaves=12,
)
EVENTS = st.sampled_from(["connected", "start", "media", "dtmf", "mark", "stop", "clear", ""]) | ANY_TEXT
TWILIO_SHAPED = st.fixed_dictionaries(
    {"event": EVENTS},
    optional={
        "streamSid": JSON_VALUES,
        "start": st.dictionaries(st.sampled_from(["streamSid", "callSid", "mediaFormat", "tracks"]), JSON_VALUES),
        "media": st.fixed_dictionaries(
            {},
            optional={
                "payload": st.binary(max_size=400).map(lambda b: base64.b64encode(b).decode()) | JSON_VALUES,
                "track": st.sampled_from(["inbound", "outbound"]) | JSON_VALUES,
            },
        ),  # fmt: skip
        "dtmf": st.fixed_dictionaries({}, optional={"digit": JSON_VALUES | st.sampled_from(list("0123456789*#"))}),
    },
).map(json.dumps)
MESSAGES = st.one_of(TWILIO_SHAPED, JSON_VALUES.map(json.dumps), st.text(max_size=100), st.binary(max_size=300))
STARTED = [json.dumps(TWILIO_CONNECTED), json.dumps(twilio_start("MZfuzz", "CAfuzz"))]


class Served:
    def __init__(self, thread) -> None:
        self.thread = thread
        self.services = call_services(greeting="您好。")
        self.server = thread.run(self._start())
        self.url = f"ws://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _start(self):
        return await twilio.listen(self.services, "127.0.0.1", 0)

    async def send(self, messages: list) -> tuple:
        """The messages, then the stream's stop; how the server closed the websocket."""
        async with websockets.connect(self.url, compression=None, max_size=None) as ws:
            try:
                for message in messages:
                    await ws.send(message)
                await ws.send(json.dumps({"event": "stop", "streamSid": "MZfuzz"}))
                while True:
                    await ws.recv()
            except websockets.exceptions.ConnectionClosed as closed:
                return closed.rcvd.code if closed.rcvd else None, closed.rcvd.reason if closed.rcvd else ""
        return None, ""

    async def good_call(self) -> str:
        """Twilio's call: connected, start, silence until the greeting's first media, then stop."""
        async with websockets.connect(self.url, compression=None) as ws:
            for message in STARTED:
                await ws.send(message)
            silence = base64.b64encode(b"\xff" * 160).decode()
            while True:
                await ws.send(json.dumps({"event": "media", "streamSid": "MZfuzz", "media": {"payload": silence}}))
                event = json.loads(await ws.recv())["event"]
                if event == "media":
                    await ws.send(json.dumps({"event": "stop", "streamSid": "MZfuzz"}))
                    return event

    def stop(self) -> None:
        self.server.close()
        self.thread.run(self.server.wait_closed())


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with loop_thread() as thread:
        served = Served(thread)
        yield served
        served.stop()


@fuzz_settings(max_examples=200)
@given(messages=st.lists(MESSAGES, max_size=6), started=st.booleans())
@example(messages=["-292310336"], started=True)  # found: the greeting's next frame failed the call with an error
def test_no_messages_break_the_server(served, messages, started):
    with error_records("voice", "websockets", "asyncio") as errors:
        code, reason = served.thread.run(served.send((STARTED if started else []) + messages))
        assert code in (1000, 1008), (code, reason)
        if code == 1008:
            assert reason.strip(), "a policy close names the problem"
        served.services.sessions.clear()
        assert served.thread.run(served.good_call()) == "media"
        assert errors.take() == [] and served.thread.failures == []


def test_an_oversized_message_is_closed_as_too_big(served):
    code, reason = served.thread.run(served.send([*STARTED, "x" * (twilio.MAX_MESSAGE_BYTES + 1)]))
    assert code == 1009, (code, reason)  # RFC 6455 "Message Too Big" (websockets sends no reason with it)
    assert served.thread.run(served.good_call()) == "media"
