import audioop
import math
from array import array

import pytest

from voice.audio import (
    AudioFormatError,
    Framer,
    Resampler,
    duration_s,
    frame_bytes,
    frames,
    pcm_to_ulaw,
    read_wav,
    rms,
    ulaw_to_pcm,
    write_wav,
)


def tone(rate: int, seconds: float, hz: int = 440) -> bytes:
    return array("h", (int(8000 * math.sin(2 * math.pi * hz * i / rate)) for i in range(int(rate * seconds)))).tobytes()


def test_ulaw_round_trip_keeps_the_signal():
    pcm = tone(8000, 0.1)
    back = ulaw_to_pcm(pcm_to_ulaw(pcm))
    assert len(pcm_to_ulaw(pcm)) == len(pcm) // 2 and len(back) == len(pcm)
    assert rms(audioop.add(back, audioop.mul(pcm, 2, -1), 2)) < rms(pcm) * 0.05


def test_streaming_resampling_equals_resampling_at_once():
    pcm = tone(16000, 1.0)
    whole = Resampler(16000, 8000).convert(pcm)
    streaming = Resampler(16000, 8000)
    chunks = b"".join(streaming.convert(pcm[i : i + 640]) for i in range(0, len(pcm), 640))
    assert abs(len(whole) - len(pcm) // 2) <= 4 and chunks == whole


def test_framer_cuts_any_chunks_into_whole_frames():
    framer = Framer(8000)
    got = [f for chunk in (b"\x01" * 100, b"\x02" * 500, b"\x03" * 100) for f in framer.push(chunk)]
    assert [len(f) for f in got] == [320, 320]
    assert [len(f) for f in framer.push(b"\x04" * 260)] == [320], "the 60 bytes left over are kept"
    assert len(list(frames(b"\x00" * 700, 8000))) == 3 and len(list(frames(b"\x00" * 700, 8000, pad=False))) == 2
    assert frame_bytes(16000) == 640


def test_read_wav_converts_any_rate_width_and_channels(tmp_path):
    stereo = audioop.tostereo(tone(48000, 0.5), 2, 1, 1)
    write_wav(tmp_path / "s.wav", stereo, 48000, channels=2)
    pcm, rate = read_wav(tmp_path / "s.wav", 8000)
    assert rate == 8000 and duration_s(pcm, rate) == pytest.approx(0.5, abs=0.01)
    assert rms(pcm) > 4000


def test_read_wav_names_the_file_that_is_not_audio(tmp_path):
    bad = tmp_path / "notes.wav"
    bad.write_text("hello")
    with pytest.raises(AudioFormatError, match="notes.wav"):
        read_wav(bad)
