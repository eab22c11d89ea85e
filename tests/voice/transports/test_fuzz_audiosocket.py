"""The AudioSocket server fuzzed (hypothesis) on a real TCP socket: any bytes, well-formed frames
of any kind and length, a call's frames cut anywhere. The server ends that connection with a
hangup frame, logs the problem by name, no task fails, and the next well-behaved call is answered;
connections of garbage leave no memory behind."""

import asyncio
import logging
import struct
import uuid
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.voice.fuzzing import error_records, fuzz_settings, growth, loop_thread, quiet
from tests.voice.transports.clients import call_services
from voice.transports import audiosocket

CALL_ID = uuid.UUID("12345678-1234-5678-1234-567812345678").bytes
HANGUP_FRAME = audiosocket.frame(audiosocket.HANGUP)
KINDS = st.sampled_from([0x00, 0x01, 0x03, 0x10, 0xFF, 0x12, 0x18]) | st.integers(0, 255)
FRAMES = st.one_of(
    st.tuples(KINDS, st.binary(max_size=700)).map(lambda kind_payload: audiosocket.frame(*kind_payload)),
    st.tuples(KINDS, st.integers(0, 0xFFFF), st.binary(max_size=64)).map(
        lambda k: struct.pack(">BH", k[0], k[1]) + k[2]  # a length that need not match
    ),
    st.just(audiosocket.frame(audiosocket.AUDIO, b"\x00" * 320)),
    st.sampled_from("0123456789*#xA").map(lambda key: audiosocket.frame(audiosocket.DTMF, key.encode())),
)
STREAMS = st.one_of(
    st.binary(max_size=2000),
    st.lists(FRAMES, max_size=8).map(b"".join),
    st.lists(FRAMES, max_size=8).map(lambda frames: audiosocket.frame(audiosocket.UUID, CALL_ID) + b"".join(frames)),
)


class Served:
    def __init__(self, thread) -> None:
        self.thread = thread
        self.services = call_services(greeting="您好。")
        self.server = thread.run(self._start())
        self.port = self.server.sockets[0].getsockname()[1]

    async def _start(self):
        return await audiosocket.listen(self.services, "127.0.0.1", 0)

    async def send(self, raw: bytes) -> bytes:
        """``raw``, then the end of our side; all the server sent until it closed the connection."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            writer.write(raw)
            await writer.drain()
            writer.write_eof()
        except ConnectionError:
            pass  # the server may close on an early frame while we are still sending
        try:
            return await reader.read()
        except ConnectionError:
            return b""
        finally:
            writer.close()

    async def good_call(self) -> list:
        """Asterisk's call: the UUID, audio until the greeting is heard, then the hangup frame."""
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(audiosocket.frame(audiosocket.UUID, uuid.uuid4().bytes))
        kinds = []
        while not kinds or kinds[-1] != audiosocket.AUDIO:
            writer.write(audiosocket.frame(audiosocket.AUDIO, b"\x00" * 320))
            kind, _payload = await audiosocket.read_frame(reader)
            kinds.append(kind)
        writer.write(HANGUP_FRAME)
        await writer.drain()
        await reader.read()
        writer.close()
        return kinds

    def stop(self) -> None:
        self.server.close()
        self.thread.run(self.server.wait_closed())


@pytest.fixture(scope="module")
def served() -> Iterator[Served]:
    with loop_thread() as thread:
        served = Served(thread)
        yield served
        served.stop()


def frames_of(sent: bytes) -> list:
    kinds = []
    while sent:
        kind, length = struct.unpack(">BH", sent[:3])
        assert len(sent) >= 3 + length, f"the server sent a truncated frame: {sent[:20]!r}"
        kinds.append(kind)
        sent = sent[3 + length :]
    return kinds


@fuzz_settings(max_examples=300)
@given(raw=STREAMS)
def test_no_bytes_break_the_server(served, raw):
    with error_records("voice", "asyncio") as errors:
        sent = served.thread.run(served.send(raw))
        kinds = frames_of(sent)
        assert set(kinds) <= {audiosocket.AUDIO, audiosocket.HANGUP}, kinds
        assert kinds and kinds[-1] == audiosocket.HANGUP, f"no hangup frame: {sent[-20:]!r}"
        assert errors.take() == [] and served.thread.failures == []
    assert audiosocket.AUDIO in served.thread.run(served.good_call())


def test_an_oversized_frame_ends_the_call_naming_the_problem(served, caplog):
    oversized = struct.pack(">BH", audiosocket.AUDIO, audiosocket.MAX_PAYLOAD + 1) + b"\x00" * 100
    with caplog.at_level(logging.WARNING, logger=audiosocket.__name__):
        sent = served.thread.run(served.send(audiosocket.frame(audiosocket.UUID, CALL_ID) + oversized))
    assert sent.endswith(HANGUP_FRAME)
    assert f"frame of {audiosocket.MAX_PAYLOAD + 1} bytes (kind 0x10) is larger than {audiosocket.MAX_PAYLOAD}" in (
        caplog.text
    )


def test_garbage_connections_leave_no_memory_behind(served):
    """Three thousand connections of bad frames: no session is kept going, and what the server's
    code allocated grew by less than 1 kB for three connections (the test doubles' lists of
    sessions and messages emptied each round); all of Python's memory by less than 4 kB a connection."""
    bad = [b"\xff\xff\xff", audiosocket.frame(audiosocket.UUID, CALL_ID) + b"\x42\x00\x01x", b"\x01\x00"]

    def one_round(n: int) -> None:
        for raw in bad * (5 if n == 0 else 1):
            served.thread.run(served.send(raw))
        served.thread.call(served.services.sessions.clear)  # what the test doubles keep is not the server's
        served.thread.call(served.services.assistant.received.clear)

    with quiet("voice"):
        grown = growth(one_round, rounds=1000)
    assert grown.ours < 3000 * 1024 // 3 and grown.total < 4 * 3000 * 1024, f"after 3000 connections: {grown}"
    assert served.thread.call(lambda: [t for t in asyncio.all_tasks() if "AudioSocketCall" in repr(t)]) == []
