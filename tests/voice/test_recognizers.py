"""Recognizers are reused across calls, reset in between, and never used by two calls at once."""

import pytest

from tests.voice import installed
from tests.voice.doubles import regraphed_decoders, spoken
from voice.recognizers import RecognizerPool
from voice.stt import Recognizer, load_model


@pytest.fixture(scope="module")
def pool():
    return RecognizerPool(load_model(installed.korean_model()))


def test_a_returned_recognizer_serves_the_next_call_with_a_clean_slate(pool):
    first = pool.take(8000)
    assert isinstance(first.inner, Recognizer) and first.sample_rate == 8000
    first.accept(spoken("你好你好", 8000))  # a call that hangs up mid-utterance
    first.close()
    assert pool.idle(8000) == 1
    again = pool.take(8000)
    assert again is first and pool.idle(8000) == 0
    assert again.finish().text == "", "nothing of the previous call's audio is left"
    assert pool.take(16000) is not first, "each sample rate has its own recognizers"


def test_a_returned_recognizer_keeps_what_its_decoder_has_learned(pool, monkeypatch):
    regraphed = regraphed_decoders(monkeypatch)
    recognizer = pool.take(8000)
    decoder = recognizer.inner._vosk
    recognizer.accept(spoken("你好", 8000))
    recognizer.finish()
    recognizer.set_grammar(["네", "아니요"])
    recognizer.close()  # back to free recognition for the next call
    again = pool.take(8000)
    assert again is recognizer and again.inner._vosk is decoder
    assert decoder not in regraphed, "SetGrammar would throw away what the decoder expanded"


def test_a_recognizer_that_fails_to_reset_is_dropped():
    class Broken:
        sample_rate = 8000

        def __init__(self, *_):
            pass

        def finish(self):
            raise RuntimeError("vosk is unhappy")

    pool = RecognizerPool(model=None, make=Broken)
    pool.take(8000).close()
    assert pool.idle(8000) == 0


def test_warming_leaves_that_many_recognizers_ready(pool):
    speech = spoken("你好", 8000)
    pool.warm(3, 8000, speech)
    assert pool.idle(8000) >= 3
    before = pool.idle(8000)
    pool.warm(2, 8000, speech)
    assert pool.idle(8000) == before, "enough were ready: none made"
