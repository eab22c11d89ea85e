"""A call from the web page through the real call session, on virtual time: the page's audio in,
the bot's audio and the call's transcript out, as the page's websocket would carry them."""

import asyncio

import pytest

from tests.voice import virtual_time
from tests.voice.doubles import CannedAssistant, ScriptedRecognizer, spoken
from tests.voice.transports.clients import BILL_ANSWER, GREETING, TONES
from voice.assistant import Reply
from voice.audio import frames, silence
from voice.calls import CallServices
from voice.config import CallSettings
from voice.stt import Transcript
from voice.transports import browser

pytestmark = pytest.mark.timeout(60)
RATE = browser.PAGE_RATE


class PartialRecognizer(ScriptedRecognizer):
    """Also has partial text while the caller speaks, as Vosk does."""

    def accept(self, pcm: bytes):
        super().accept(pcm)
        return Transcript("查", [], final=False) if self.bytes_heard > RATE else None


async def page_call(audio: bytes, hang_up: bool = False):
    assistant = CannedAssistant({"/greet": [Reply(GREETING)], "查账单": [Reply(BILL_ANSWER)]})
    services = CallServices(assistant, lambda rate: PartialRecognizer(["查账单"]), TONES, CallSettings(no_input_s=30))
    sent, published = [], []
    call, task = browser.start(services, "web-s1", sent.append, published.append)
    loop = asyncio.get_running_loop()
    started = loop.time()
    for index, frame in enumerate(frames(audio, RATE)):
        await asyncio.sleep(max(0.0, started + index * 0.02 - loop.time()))
        assert call.feed(frame) is None
    if hang_up:
        await call.hang_up()
    await asyncio.wait_for(task, 60)
    return assistant, sent, published


def test_the_page_hears_the_call_as_it_goes_and_gets_the_bots_audio():
    audio = silence(RATE, 3000) + spoken("我想查一下账单", RATE) + silence(RATE, 6000)
    assistant, sent, published = virtual_time.run(page_call(audio, hang_up=True))
    assert [c for c, *_ in assistant.received] == ["web-s1", "web-s1"]  # the page's conversation
    events = [e for e in published if e.get("type") != "call"]
    assert events[0] == {
        "type": "message",
        "from": "bot",
        "text": GREETING,
        "buttons": [],
        "ts": events[0]["ts"],
        "via": "call",
    }
    heard = [e for e in events if e["type"] == "heard"]
    assert heard[0] == {"type": "heard", "text": "查", "final": False}
    assert heard[-1] == {"type": "heard", "text": "查账单", "final": True}
    said = [(e["from"], e["text"]) for e in events if e["type"] == "message"]
    assert said == [("bot", GREETING), ("customer", "查账单"), ("bot", BILL_ANSWER)]
    assert all(e["via"] == "call" for e in events if e["type"] == "message")
    audio_out = [item for item in sent if isinstance(item, bytes)]
    assert len(audio_out) > 50 and all(len(frame) == 640 for frame in audio_out)  # 20 ms at 16 kHz
    states = [e["state"] for e in published if e.get("type") == "call"]
    assert states[0] == "started" and "speaking" in states and "listening" in states
    assert published[-1] == {"type": "call", "state": "ended", "reason": "caller_hung_up"}


def test_the_caller_cutting_in_clears_the_pages_audio():
    audio = silence(RATE, 300) + spoken("我想查一下账单", RATE) + silence(RATE, 3000)
    _, sent, _ = virtual_time.run(page_call(audio, hang_up=True))
    assert {"type": "clear"} in sent  # the greeting was still playing


def test_what_is_not_audio_or_a_key_is_refused():
    services = CallServices(CannedAssistant(), lambda rate: ScriptedRecognizer([]), TONES, CallSettings())
    call = browser.PageCall(services, "web-s1", lambda _: None, lambda _: None)
    assert call.feed(b"\x00\x01\x02") == "audio frame of 3 bytes is not 16-bit PCM"
    assert call.press("A") == "'A' is not a key" and call.press("#") is None
