"""The Asterisk AudioSocket server on a real TCP socket, driven by a client that sends what
Asterisk's AudioSocket() application sends, a frame every 20 ms. Both run on virtual time
(tests/voice/virtual_time.py): times are call time."""

import asyncio
import logging
import os
import struct
import uuid
from itertools import pairwise

import pytest

from tests.voice import virtual_time
from tests.voice.doubles import barge_ins, spoken
from tests.voice.transports.clients import (
    BILL_ANSWER,
    GREETING,
    LONG_GREETING,
    AudioSocketCaller,
    ShortTones,
    assert_paced,
    audiosocket_events,
    bot_frames,
    call_services,
    now,
)
from voice import prompts
from voice.audio import silence
from voice.transports import audiosocket

pytestmark = pytest.mark.timeout(60)
SILENT_FRAME = silence(8000, 20)


@pytest.fixture(scope="module")
def speech() -> bytes:
    return spoken("我想查一下账单", 8000)  # 2.2 s of real espeak-ng Mandarin


def run(services, scenario, **listen_options) -> None:
    async def main():
        async with await audiosocket.listen(services, "127.0.0.1", 0, **listen_options) as server:
            await asyncio.wait_for(scenario(server.sockets[0].getsockname()[1]), 30)

    virtual_time.run(main())


def frame(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack(">BH", kind, len(payload)) + payload


def warnings(caplog):
    return [r for r in caplog.records if r.name == audiosocket.__name__ and r.levelno >= logging.WARNING]


# ----------------------------------------------------------------------------- good calls


def test_a_whole_call_greeting_speech_keys_and_hang_up(speech):
    services = call_services()

    async def scenario(port):
        caller = await AudioSocketCaller.connect(port)
        await caller.wait_quiet()
        greeting = caller.audio()
        assert [r.data for r in greeting] == bot_frames(GREETING, services.synthesizer)
        assert_paced(greeting)

        said = await caller.say(speech)
        await caller.wait_quiet(since=said.end)
        assert [r.data for r in caller.audio(since=said.end)] == bot_frames(BILL_ANSWER, services.synthesizer)

        keys_sent = now()
        await caller.press_keys("12#")
        await caller.wait_quiet(since=keys_sent)
        assert [r.data for r in caller.audio(since=keys_sent)] == bot_frames("您说的是：12", services.synthesizer)

        await caller.hang_up()
        await caller.wait_closed()
        session = await services.ended(str(caller.call_id))
        assert session.record.end_reason == "caller_hung_up"
        assert session.record.transport == "audiosocket"
        assert [(text, meta["via"]) for _, text, meta in services.assistant.received] == [
            ("/greet", "system"),
            ("查账单", "speech"),
            ("12", "dtmf"),
        ]

    run(services, scenario)


def test_caller_speech_during_an_answer_stops_it_within_200_ms(speech):
    services = call_services(greeting=LONG_GREETING)

    async def scenario(port):
        caller = await AudioSocketCaller.connect(port)
        await caller.wait_for("audio", timeout=5)
        await asyncio.sleep(0.5)
        said = await caller.say(speech)
        cut = said.onset + 0.2
        assert caller.audio(until=said.onset), "the greeting had not started"
        assert caller.audio(since=cut, until=said.end) == [], "audio went on after the caller started speaking"
        assert len(caller.audio(until=cut)) < len(bot_frames(LONG_GREETING, services.synthesizer))

        await caller.wait_quiet(since=said.end)
        assert [r.data for r in caller.audio(since=said.end)] == bot_frames(BILL_ANSWER, services.synthesizer)
        assert barge_ins(services.by_id(str(caller.call_id)).record) == 1
        await caller.hang_up()
        await caller.wait_closed()

    run(services, scenario)


def test_when_the_bot_ends_the_call_it_sends_a_hangup_frame():
    services = call_services(greeting="您好。", synthesizer=ShortTones(), max_call_s=1.0)

    async def scenario(port):
        caller = await AudioSocketCaller.connect(port)
        await caller.wait_closed(timeout=5)
        goodbye = bot_frames(prompts.CALL_TOO_LONG, services.synthesizer)
        assert [r.data for r in caller.audio()][-len(goodbye) :] == goodbye
        assert caller.received[-1].kind == "hangup"
        assert (await services.ended(str(caller.call_id))).record.end_reason == "max_call_length"

    run(services, scenario)


def test_garbage_audio_is_only_noise_the_call_goes_on(caplog):
    caplog.set_level(logging.INFO, logger=audiosocket.__name__)
    services = call_services(greeting="您好。")

    async def scenario(port):
        caller = await AudioSocketCaller.connect(port)
        await caller.say(os.urandom(16000))  # 1 s of random 16-bit samples
        await asyncio.sleep(0.2)
        assert not caller.closed.is_set()
        await caller.hang_up()
        await caller.wait_closed()
        assert (await services.ended(str(caller.call_id))).record.end_reason == "caller_hung_up"

    run(services, scenario)
    assert warnings(caplog) == []


# ----------------------------------------------------------------------------- bad peers


def uuid_frame(call_id: uuid.UUID) -> bytes:
    return frame(0x01, call_id.bytes)


# name, frames after the call UUID (None: no UUID at all), the peer closes after sending, what the log says
BAD_PEERS = [
    ("first frame not a UUID", [frame(0x10, SILENT_FRAME)], False, "first frame must be the call UUID"),
    ("UUID of 3 bytes", [frame(0x01, b"abc")], False, "first frame must be the call UUID"),
    ("truncated frame", [frame(0x10, SILENT_FRAME)[:100]], True, "truncated frame"),
    ("oversized length", [struct.pack(">BH", 0x10, 60000)], False, "is larger than 8192"),
    ("unknown kind", [frame(0x42, b"?")], False, "unknown frame kind 0x42"),
    ("error frame", [frame(0xFF, b"\x02")], False, "frame forwarding error"),
    ("odd-length audio", [frame(0x10, SILENT_FRAME + b"\x00")], False, "321 bytes"),
    ("16 kHz audio", [frame(0x12, silence(16000, 20))], False, "audio at 16 kHz"),
    ("bad DTMF", [frame(0x03, b"x")], False, "not a key"),
    ("silent peer", [], False, "nothing received for 1 s"),
    ("peer gone without hangup", [frame(0x10, SILENT_FRAME)] * 10, True, "closed the connection"),
]


async def bad_peer(port: int, call_id: uuid.UUID, frames, closes: bool, with_uuid: bool):
    """Sends the frames; returns what the server sent until it closed and how long that took."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write((uuid_frame(call_id) if with_uuid else b"") + b"".join(frames))
    await writer.drain()
    if closes:
        writer.close()
        return None, 0.0
    sent = now()
    received = await asyncio.wait_for(reader.read(), 3.0)
    writer.close()
    return received, now() - sent


def test_bad_peers_end_only_their_own_call(caplog, speech):
    caplog.set_level(logging.INFO, logger=audiosocket.__name__)
    services = call_services(greeting=LONG_GREETING)

    async def logged_since(first: int) -> str:
        for _ in range(50):  # the server may log just after the peer saw the close
            text = "\n".join(r.getMessage() for r in caplog.records[first:] if r.name == audiosocket.__name__)
            if text:
                return text
            await asyncio.sleep(0.01)
        return ""

    async def scenario(port):
        good = await AudioSocketCaller.connect(port)
        await good.wait_for("audio", timeout=5)
        for name, frames, closes, complaint in BAD_PEERS:
            first_log, call_id = len(caplog.records), uuid.uuid4()
            with_uuid = not name.startswith(("first frame", "UUID"))
            received, closed_after = await bad_peer(port, call_id, frames, closes, with_uuid)
            if not closes:
                assert closed_after < (1.5 if name == "silent peer" else 0.5), (
                    f"{name}: closed after {closed_after:.2f}"
                )
                assert audiosocket_events(received)[-1][0] == "hangup", f"{name}: no hangup frame before the close"
            log_text = await logged_since(first_log)
            assert complaint in log_text, f"{name}: log says {log_text!r}"
            if with_uuid:
                session = await services.ended(str(call_id))
                assert session, f"{name}: the call did not end"
                assert any(complaint in e.text for e in session.record.entries), name

        await good.wait_quiet()
        greeting = good.audio()
        assert [r.data for r in greeting] == bot_frames(LONG_GREETING, services.synthesizer)
        assert max(b.t - a.t for a, b in pairwise(greeting)) < 0.1, "the good call's greeting stalled"
        said = await good.say(speech)
        await good.wait_quiet(since=said.end)
        assert [r.data for r in good.audio(since=said.end)] == bot_frames(BILL_ANSWER, services.synthesizer)
        await good.hang_up()
        await good.wait_closed()
        assert (await services.ended(str(good.call_id))).record.end_reason == "caller_hung_up"

    run(services, scenario, idle_timeout_s=1.0)
