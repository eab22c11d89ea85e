"""Speech for voice tests: the shared real Mandarin recordings, espeak-ng synthesis, noise.

The recordings live outside the repository (``../shared/data/speech_zh``, see its README);
tests that use them fail, naming the folder, where it does not exist (a quality gate is never skipped).
"""

import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests.voice import installed
from voice import asr_eval
from voice.audio import read_wav

SPEECH_ZH = asr_eval.DEFAULT_DATA_DIR
MISSING_SPEECH_ZH = f"real Mandarin recordings not available: {SPEECH_ZH} does not exist"


@dataclass(frozen=True)
class Recording:
    name: str  # utterance id of the Kaldi-style ``text`` file
    path: Path
    transcript: str


def speech_zh_recordings() -> list[Recording]:
    """Every recording listed in a ``text`` file under speech_zh; empty if the folder is missing."""
    try:
        utterances = asr_eval.find_utterances(SPEECH_ZH)
    except asr_eval.DataError:
        return []
    return [Recording(u.id, u.wav, u.reference) for u in utterances]


def recording_params() -> list:
    """``pytest.mark.parametrize`` values: one per recording, or one ``None`` case that
    ``recording_or_fail`` fails, saying where the recordings should be."""
    recordings = speech_zh_recordings()
    if not recordings:
        return [pytest.param(None, id="speech_zh-missing")]
    return [pytest.param(recording, id=recording.name) for recording in recordings]


def recording_or_fail(recording: Recording | None) -> Recording:
    if recording is None:
        pytest.fail(MISSING_SPEECH_ZH, pytrace=False)
    return recording


# read, clean speech (AISHELL-style sentences, a voice command, a greeting); the web and meeting
# recordings are spontaneous and noisy, and are measured by `make asr-eval`, not gated in tests
CLEAN = {"BAC009S0764W0121", "IT0011W0001", "aishell-BAC009S0724W0121", "NST_ID001"}
CLEAN_RECORDINGS = [p for p in recording_params() if p.values[0] is None or p.values[0].name in CLEAN]


def espeak_mandarin(pinyin: str, rate: int) -> bytes:
    """PCM16 of espeak-ng reading tone-numbered pinyin, trimmed to where the sound starts and ends."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "speech.wav"
        subprocess.run([installed.program("espeak-ng"), "-v", "cmn-latn-pinyin", "-w", str(path), pinyin], check=True)
        pcm, _ = read_wav(path, rate)
    samples = np.frombuffer(pcm, dtype="<i2")
    audible = np.flatnonzero(np.abs(samples.astype(np.int32)) > 32)
    return samples[audible[0] : audible[-1] + 1].tobytes()


def pcm_rms(pcm: bytes) -> float:
    return float(np.sqrt(np.mean(np.frombuffer(pcm, dtype="<i2").astype(np.float64) ** 2)))


def add_white_noise(pcm: bytes, level_rms: float, seed: int = 0) -> bytes:
    """``pcm`` with Gaussian white noise of the given RMS added (clipped to 16 bits)."""
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    noise = np.random.default_rng(seed).normal(0.0, level_rms, samples.size)
    return np.clip(np.round(samples + noise), -32768, 32767).astype("<i2").tobytes()
