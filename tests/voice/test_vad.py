import numpy as np
import pytest

from tests.voice.speech_data import add_white_noise, espeak_mandarin, pcm_rms
from voice.audio import frame_bytes, frames, silence
from voice.vad import SUPPORTED_RATES, Vad

PHRASE = "ni3 hao3, wo3 xiang3 cha2 zhang4 dan1"


def speech_share(vad: Vad, pcm: bytes) -> float:
    decisions = [vad.is_speech(frame) for frame in frames(pcm, vad.sample_rate)]
    return sum(decisions) / len(decisions)


@pytest.mark.parametrize("rate", [8000, 16000])
def test_speech_is_speech_and_silence_is_not(rate):
    vad = Vad(rate)
    assert speech_share(vad, espeak_mandarin(PHRASE, rate)) > 0.8
    assert speech_share(vad, silence(rate, 1000)) == 0


@pytest.mark.parametrize("rate", [8000, 16000])
def test_audio_below_the_energy_floor_is_never_speech(rate):
    speech = espeak_mandarin(PHRASE, rate)
    samples = np.frombuffer(speech, dtype="<i2").astype(np.float64)
    whisper = np.round(samples * 20 / pcm_rms(speech)).astype("<i2").tobytes()  # about -64 dBFS
    assert speech_share(Vad(rate, energy_floor=0), whisper) > 0.2  # WebRTC alone would take it
    assert speech_share(Vad(rate), whisper) == 0
    assert speech_share(Vad(rate), add_white_noise(silence(rate, 2000), 30)) == 0


@pytest.mark.parametrize("rate", SUPPORTED_RATES)
@pytest.mark.parametrize("ms", [10, 20, 30])
def test_frames_of_10_20_and_30_ms_are_accepted(rate, ms):
    assert Vad(rate).is_speech(silence(rate, ms)) is False


@pytest.mark.parametrize("size", [0, 1, 319, 321, frame_bytes(8000, 40), frame_bytes(8000, 25)])
def test_a_frame_of_another_length_is_rejected(size):
    with pytest.raises(ValueError, match="10, 20 or 30 ms"):
        Vad(8000).is_speech(b"\x00" * size)


@pytest.mark.parametrize("rate", [11025, 22050, 44100, 0])
def test_an_unsupported_rate_is_rejected_naming_the_supported_ones(rate):
    with pytest.raises(ValueError, match="8000, 16000, 32000, 48000"):
        Vad(rate)


@pytest.mark.parametrize("aggressiveness", [-1, 4])
def test_aggressiveness_must_be_0_to_3(aggressiveness):
    with pytest.raises(ValueError, match="aggressiveness"):
        Vad(8000, aggressiveness)
