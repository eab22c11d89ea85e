"""The Chinese model `make setup` installs, on the real Mandarin recordings of ../shared/data/speech_zh:
read speech is recognized nearly word for word, at 16 kHz and through a μ-law phone line."""

import pytest

from tests.voice import installed
from tests.voice.speech_data import CLEAN, CLEAN_RECORDINGS, recording_or_fail
from voice import asr_eval
from voice.stt import load_model

MAX_CER = {asr_eval.WIDEBAND: 0.10, asr_eval.PHONE: 0.20}

pytestmark = pytest.mark.quality


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
