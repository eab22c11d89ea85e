"""The Twilio Media Streams server on a real websocket, driven by a client that sends what Twilio
sends, a frame every 20 ms, and checks that what comes back is what Twilio accepts. Both run on
virtual time (tests/voice/virtual_time.py): times are call time."""

import asyncio
import json
import logging
import os
from itertools import pairwise

import pytest
import websockets

from tests.voice import virtual_time
from tests.voice.doubles import barge_ins, spoken
from tests.voice.transports.clients import (
    BILL_ANSWER,
    GREETING,
    LONG_GREETING,
    TONES,
    TWILIO_CONNECTED,
    ShortTones,
    TwilioCaller,
    assert_paced,
    bot_frames,
    call_services,
    now,
    twilio_start,
)
from voice import prompts
from voice.audio import pcm_to_ulaw, ulaw_to_pcm
from voice.transports import twilio

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def speech() -> bytes:
    return spoken("我想查一下账单", 8000)  # 2.2 s of real espeak-ng Mandarin


def run(services, scenario, **listen_options) -> None:
    async def main():
        async with twilio.listen(services, "127.0.0.1", 0, **listen_options) as server:
            url = f"ws://127.0.0.1:{server.sockets[0].getsockname()[1]}"
            await asyncio.wait_for(scenario(url), 30)

    virtual_time.run(main())


def as_heard(text: str, synthesizer=TONES):
    """The bot's frames for ``text`` after the trip through μ-law."""
    return [ulaw_to_pcm(pcm_to_ulaw(f)) for f in bot_frames(text, synthesizer)]


# ----------------------------------------------------------------------------- good calls


def test_a_whole_call_greeting_speech_keys_and_stop(speech):
    services = call_services()

    async def scenario(url):
        caller = await TwilioCaller.connect(url)
        greeted = await caller.wait_for("mark", timeout=5)
        greeting = caller.audio(until=greeted.t)
        assert [r.data for r in greeting] == as_heard(GREETING)
        assert_paced(greeting)

        said = await caller.say(speech)
        answered = await caller.wait_for("mark", since=said.end, timeout=5)
        assert [r.data for r in caller.audio(since=said.end, until=answered.t)] == as_heard(BILL_ANSWER)

        keys_sent = now()
        await caller.press_keys("12#")
        keyed = await caller.wait_for("mark", since=keys_sent, timeout=5)
        assert [r.data for r in caller.audio(since=keys_sent, until=keyed.t)] == as_heard("您说的是：12")

        await caller.hang_up()
        await caller.wait_closed()
        session = await services.ended(caller.call_sid)
        assert session.record.end_reason == "caller_hung_up"
        assert [(text, meta["via"]) for _, text, meta in services.assistant.received] == [
            ("/greet", "system"),
            ("查账单", "speech"),
            ("12", "dtmf"),
        ]
        assert [r.data for r in caller.received if r.kind == "mark"] == ["answer-1", "answer-2", "answer-3"]
        assert not [r for r in caller.received if r.kind == "clear"]
        assert caller.not_accepted == []

    run(services, scenario)


def test_caller_speech_during_an_answer_clears_it_within_200_ms(speech):
    services = call_services(greeting=LONG_GREETING)

    async def scenario(url):
        caller = await TwilioCaller.connect(url)
        await caller.wait_for("audio", timeout=5)
        await asyncio.sleep(0.5)
        said = await caller.say(speech)
        clear = await caller.wait_for("clear")
        assert clear.t - said.onset <= 0.2, f"clear came {clear.t - said.onset:.3f} s after the speech onset"
        assert caller.audio(until=clear.t)[-1].t - said.onset <= 0.2
        assert caller.audio(since=clear.t, until=said.end) == [], "media went on after the clear"
        assert len(caller.audio(until=clear.t)) < len(as_heard(LONG_GREETING))

        answered = await caller.wait_for("mark", since=said.end, timeout=5)
        assert [r.data for r in caller.audio(since=said.end, until=answered.t)] == as_heard(BILL_ANSWER)
        session = services.by_id(caller.call_sid)
        assert barge_ins(session.record) == 1
        await caller.hang_up()
        await caller.wait_closed()
        assert caller.not_accepted == []

    run(services, scenario)


def test_when_the_bot_ends_the_call_the_server_closes_the_websocket():
    services = call_services(greeting="您好。", synthesizer=ShortTones(), max_call_s=1.0)

    async def scenario(url):
        caller = await TwilioCaller.connect(url)
        closed_at = await caller.wait_closed(timeout=5)
        assert caller.ws.close_code == 1000
        goodbye = as_heard(prompts.CALL_TOO_LONG, ShortTones())
        assert [r.data for r in caller.audio()][-len(goodbye) :] == goodbye
        assert closed_at - caller.audio()[-1].t < 0.5
        assert (await services.ended(caller.call_sid)).record.end_reason == "max_call_length"

    run(services, scenario)


def test_garbage_audio_is_only_noise_the_call_goes_on(caplog):
    services = call_services(greeting="您好。")
    caplog.set_level(logging.INFO, logger=twilio.__name__)

    async def scenario(url):
        caller = await TwilioCaller.connect(url)
        await caller.say(os.urandom(16000))  # 1 s of random μ-law bytes, decoded as noise
        await asyncio.sleep(0.2)
        assert not caller.closed.is_set()
        await caller.hang_up()
        await caller.wait_closed()
        assert (await services.ended(caller.call_sid)).record.end_reason == "caller_hung_up"

    run(services, scenario)
    assert not [r for r in caplog.records if r.name == twilio.__name__ and r.levelno >= logging.WARNING]


# ----------------------------------------------------------------------------- bad peers


def start(call_sid: str, **media_format) -> str:
    fmt = {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1, **media_format}
    return json.dumps(twilio_start("MZ" + call_sid, call_sid, fmt))


def media(payload: str) -> str:
    return json.dumps({"event": "media", "streamSid": "MZ", "media": {"track": "inbound", "payload": payload}})


CONNECTED = json.dumps(TWILIO_CONNECTED)
# name, messages sent, call sid (when a call started), close code, what the log says
BAD_PEERS = [
    ("malformed JSON", ['{"event": "start", '], None, 1008, "malformed JSON"),
    ("JSON without event", ['{"streamSid": "MZ1"}'], None, 1008, "without an 'event'"),
    (
        "unknown event",
        [CONNECTED, start("CA-unknown"), '{"event": "dance"}'],
        "CA-unknown",
        1008,
        "unknown event 'dance'",
    ),
    ("media before start", [CONNECTED, media("//8=")], None, 1008, "'media' before 'start'"),
    ("wrong sample rate", [CONNECTED, start("CA-rate", sampleRate=16000)], None, 1008, "at 16000 Hz"),
    ("wrong encoding", [CONNECTED, start("CA-l16", encoding="audio/l16")], None, 1008, "audio/l16"),
    ("bad base64", [CONNECTED, start("CA-b64"), media("not base64!")], "CA-b64", 1008, "base64"),
    ("binary message", [CONNECTED, start("CA-binary"), b"\xff" * 160], "CA-binary", 1008, "binary"),
    ("oversized message", [CONNECTED, start("CA-big"), media("//8=" * 40000)], "CA-big", 1009, "message too big"),
    ("silent peer", [CONNECTED, start("CA-silent")], "CA-silent", 1008, "nothing received for 1 s"),
]


async def bad_peer(url, messages, vanish: bool = False):
    ws = await websockets.connect(url, compression=None, max_queue=None)
    for message in messages:
        await ws.send(message)
    if vanish:
        ws.transport.abort()
    sent = now()
    await asyncio.wait_for(ws.wait_closed(), 2.0)
    return ws, now() - sent


def test_bad_peers_end_only_their_own_call(caplog, speech):
    caplog.set_level(logging.INFO, logger=twilio.__name__)
    services = call_services(greeting=LONG_GREETING)

    async def logged_since(first: int) -> str:
        for _ in range(50):  # the server may log just after the client saw the close
            text = "\n".join(r.getMessage() for r in caplog.records[first:] if r.name == twilio.__name__)
            if text:
                return text
            await asyncio.sleep(0.01)
        return ""

    async def scenario(url):
        good = await TwilioCaller.connect(url)
        await good.wait_for("audio", timeout=5)
        for name, messages, call_sid, code, complaint in BAD_PEERS:
            first_log = len(caplog.records)
            ws, closed_after = await bad_peer(url, messages)
            assert ws.close_code == code, name
            assert closed_after < (1.5 if name == "silent peer" else 0.5), f"{name}: closed after {closed_after:.2f} s"
            log_text = await logged_since(first_log)
            assert complaint in log_text, f"{name}: log says {log_text!r}"
            if call_sid:
                session = await services.ended(call_sid)
                assert session, f"{name}: the call did not end"
                assert any(complaint in e.text for e in session.record.entries), name
        first_log = len(caplog.records)
        await bad_peer(url, [CONNECTED, start("CA-vanished"), media("//8=")], vanish=True)
        assert await services.ended("CA-vanished")
        assert "websocket failed" in await logged_since(first_log)

        greeted = await good.wait_for("mark", timeout=5)
        greeting = good.audio(until=greeted.t)
        assert [r.data for r in greeting] == as_heard(LONG_GREETING), "the good call's greeting was disturbed"
        assert max(b.t - a.t for a, b in pairwise(greeting)) < 0.1
        said = await good.say(speech)
        answered = await good.wait_for("mark", since=said.end, timeout=5)
        assert [r.data for r in good.audio(since=said.end, until=answered.t)] == as_heard(BILL_ANSWER)
        await good.hang_up()
        await good.wait_closed()
        assert (await services.ended(good.call_sid)).record.end_reason == "caller_hung_up"
        assert good.not_accepted == []

    run(services, scenario, idle_timeout_s=1.0)
