"""Local microphone call: the speaker side, and a clear message where there is no sound card."""

import asyncio

import pytest

from voice.transports.microphone import NoAudioDevice, SpeakerOutput, open_stream


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
