"""Local microphone call (make call): a whole call through the sound-device callback and the
terminal keypad, the speaker side, and a clear message where there is no sound card."""

import asyncio
import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.voice import virtual_time
from tests.voice.doubles import CannedAssistant, ScriptedRecognizer, caller_audio
from voice.assistant import Reply
from voice.audio import FRAME_MS, WIDEBAND_RATE, frame_bytes
from voice.calls import CallServices
from voice.config import CallSettings
from voice.transports import microphone
from voice.transports.microphone import NoAudioDevice, SpeakerOutput, open_stream
from voice.tts import ToneSynthesizer


def test_speaker_plays_queued_frames_then_silence_and_clear_drops_the_rest():
    speaker = SpeakerOutput()
    asyncio.run(speaker.send_audio(b"\x01\x02" * 160))
    asyncio.run(speaker.send_audio(b"\x03\x04" * 160))
    out = bytearray(320)
    speaker.fill(memoryview(out))
    assert bytes(out) == b"\x01\x02" * 160
    asyncio.run(speaker.clear())
    speaker.fill(memoryview(out))
    assert bytes(out) == bytes(320), "barge-in: nothing left to play"


def test_without_a_sound_device_the_error_says_what_to_do():
    import sounddevice

    if any(d["max_input_channels"] > 0 for d in sounddevice.query_devices()):
        pytest.skip("this machine has a microphone")
    with pytest.raises(NoAudioDevice, match="make call-file"):
        open_stream(lambda *_: None, 16000)


class DuplexStreamDouble:
    """Stands in for sounddevice's duplex RawStream (no sound card here): every 20 ms of the event
    loop's time, the callback gets one frame of the caller's audio and fills one frame for the
    speaker, in a thread of its own as PortAudio calls it."""

    def __init__(self, callback, caller_audio: bytes, rate: int) -> None:
        self.callback, self.caller_audio, self.rate = callback, caller_audio, rate
        self.played: list = []
        self._audio_thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="portaudio")
        self._running = None

    def __enter__(self):
        self._running = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *_exc) -> None:
        self._running.cancel()
        self._audio_thread.shutdown(wait=False)

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        size, start, index = frame_bytes(self.rate), loop.time(), 0
        while True:
            indata = self.caller_audio[index * size : (index + 1) * size].ljust(size, b"\x00")
            outdata = bytearray(size)
            await loop.run_in_executor(self._audio_thread, self.callback, indata, outdata, size // 2, None, None)
            self.played.append(bytes(outdata))
            index += 1
            await asyncio.sleep(start + index * FRAME_MS / 1000 - loop.time())


def test_a_call_through_the_sound_device_and_the_terminal_keypad(monkeypatch, capsys):
    rate = WIDEBAND_RATE
    streams = []

    def open_fake_stream(callback, stream_rate):
        streams.append(DuplexStreamDouble(callback, caller_audio([(2.0, "我想查一下余额")], rate, 3.0), stream_rate))
        return streams[-1]

    monkeypatch.setattr(microphone, "open_stream", open_fake_stream)
    keys_in, keys_out = os.pipe()
    monkeypatch.setattr(sys, "stdin", os.fdopen(keys_in))
    os.write(keys_out, b"12#\n")  # typed during the greeting
    assistant = CannedAssistant(
        {
            "/greet": [Reply("您好，请问有什么可以帮您？")],
            "查余额": [Reply("您的余额是一百元。再见。", response="utter_goodbye")],
        }
    )
    services = CallServices(assistant, lambda _rate: ScriptedRecognizer(["查余额"]), ToneSynthesizer(), CallSettings())
    # debug: asyncio refuses calls into the loop from the audio thread that are not thread-safe
    virtual_time.run(asyncio.wait_for(microphone.run_microphone_call(services, rate), 20), debug=True)
    os.close(keys_out)

    assert [text for _, text, _ in assistant.received] == ["/greet", "12", "查余额"]
    assert sum(frame != bytes(len(frame)) for frame in streams[0].played) > 50, "the speaker played the answers"
    transcript = capsys.readouterr().out
    assert "查余额" in transcript and "您的余额是一百元" in transcript
