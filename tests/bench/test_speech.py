"""Spoken requests understood end to end: speech (the neural voice as the caller) → the real
Chinese recognizer → the call's text cleanup → the trained model's NLU. The full set, rates and
phone-line conditions are measured by `make bench-speech` (tests/bench/speech.py).

The issue's target is 90 % from clean speech, within 5 points of text; this gate is lower (70 %,
within 25 points) because that is not met yet (docs/benchmarks.md has the figures) and because the
neural voice does not say a sentence the same way twice (its TensorFlow Lite run is not
deterministic), so one reply more or less is heard right from run to run."""

import pytest

from bot.evaluate_nlu import load_interpreter
from tests.bench.speech import grammar_for, heard, speech_set, understood
from tests.voice import installed
from voice.audio import WIDEBAND_RATE
from voice.stt import load_model

pytestmark = [pytest.mark.e2e, pytest.mark.quality]


@pytest.fixture(scope="module")
def neural_voice():
    return installed.neural_voice()


def test_spoken_requests_and_answers_are_understood_as_well_as_typed(trained_model, neural_voice):
    items = speech_set()[::3]  # every third: each kind of request and answer, in a test's time
    agent, vosk = load_interpreter(trained_model), load_model()
    spoken = [
        heard(vosk, neural_voice.synthesize(i.text, WIDEBAND_RATE), "16k", n, grammar_for(i))
        for n, i in enumerate(items)
    ]
    from_text = sum(understood(agent, items, [i.text for i in items]))
    results = understood(agent, items, spoken)
    from_speech = sum(results)
    misses = [f"{i.text} → {s}" for i, s, ok in zip(items, spoken, results, strict=True) if not ok]
    assert from_speech >= 0.7 * len(items), misses
    assert from_speech >= from_text - 0.25 * len(items), misses
