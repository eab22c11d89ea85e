"""The Chinese model `make setup` installs, on the real Mandarin recordings of ../shared/data/speech_zh:
read speech is recognized nearly word for word, at 16 kHz and through a μ-law phone line."""

import pytest

from tests.voice import installed
from tests.voice.speech_data import recording_or_fail, recording_params
from voice import asr_eval
from voice.stt import load_model

# read, clean speech (AISHELL-style sentences, a voice command, a greeting); the web and meeting
# recordings are spontaneous and noisy, and are measured by `make asr-eval`, not gated here
CLEAN = {"BAC009S0764W0121", "IT0011W0001", "aishell-BAC009S0724W0121", "NST_ID001"}
MAX_CER = {asr_eval.WIDEBAND: 0.10, asr_eval.PHONE: 0.20}

pytestmark = pytest.mark.quality
CLEAN_RECORDINGS = [p for p in recording_params() if p.values[0] is None or p.values[0].name in CLEAN]


@pytest.fixture(scope="module")
def model():
    return load_model(installed.chinese_model())


@pytest.mark.parametrize("band", asr_eval.BANDS)
@pytest.mark.parametrize("recording", CLEAN_RECORDINGS)
def test_read_mandarin_is_recognized(model, recording, band):
    recording = recording_or_fail(recording)
    utterance = asr_eval.Utterance(recording.name, recording.transcript, recording.path)
    scored = asr_eval.score(model, utterance, band)
    assert scored.errors / scored.reference_chars <= MAX_CER[band], scored.hypothesis


def test_every_clean_recording_is_there():
    found = {p.values[0].name for p in CLEAN_RECORDINGS if p.values[0] is not None}
    assert found == CLEAN, f"missing from speech_zh: {sorted(CLEAN - found)}"
