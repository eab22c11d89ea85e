import re
import subprocess
from pathlib import Path

import pytest

from tests.voice import installed
from tests.voice.bot_texts import domain_and_faq_texts
from voice import tts
from voice.audio import duration_s, rms
from voice.speakable import speakable
from voice.tts import EspeakSynthesizer, ToneSynthesizer, TtsError, TtsUnavailable, to_pinyin

REPO = Path(__file__).resolve().parents[2]
SYLLABLE = re.compile(r"^[a-z]+[1-5][,.!?]?$")
needs_espeak = pytest.mark.usefixtures("espeak_and_sox")


@pytest.fixture
def espeak_and_sox() -> None:
    installed.program("espeak-ng")
    installed.program("sox")


def no_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"unexpected subprocess: {args[0]}")

    monkeypatch.setattr(subprocess, "run", refuse)


# ----------------------------------------------------------------- text sent to espeak


@pytest.mark.parametrize(
    "text,pinyin",
    [
        ("尾号1234", "wei3 hao4 yao1 er4 san1 si4"),
        ("你好，再见。", "ni2 hao3, zai4 jian4."),
        ("还款成功！", "huan2 kuan3 cheng2 gong1!"),
        ("请问还有什么可以帮您？", "qing3 wen4 hai2 you3 shen2 me5 ke2 yi3 bang1 nin2?"),
        ("请在App中重置密码", "qing3 zai4 ei1 pi4 pi4 zhong1 chong2 zhi4 mi4 ma3"),
        ("以页面为准", "yi3 ye4 mian4 wei2 zhun3"),
        ("期限越长", "qi1 xian4 yue4 chang2"),
        ("（含手续费）“确认”", "han2 shou3 xu4 fei4, que4 ren4"),
        ("１２", "yao1 er4"),
    ],
)
def test_pinyin_sent_to_espeak(text, pinyin):
    assert to_pinyin(text) == pinyin


def test_nothing_but_tone_numbered_pinyin_reaches_espeak_even_from_raw_bot_texts():
    texts = domain_and_faq_texts()
    assert len(texts) > 100
    texts += ["卡内余额¥51,475.50，交易编号T00000042，QDII基金。"]
    for text in texts:
        words = to_pinyin(text).split()
        assert words, text
        strays = [w for w in words if not SYLLABLE.match(w)]
        assert not strays, (text, strays)


# ----------------------------------------------------------------- espeak-ng for real


@needs_espeak
@pytest.mark.parametrize("rate", [8000, 16000])
def test_a_chinese_sentence_becomes_audible_pcm_at_the_requested_rate(rate):
    text = speakable("您好，我是智能客服小金，请问有什么可以帮您？")
    pcm = EspeakSynthesizer().synthesize(text, rate)
    assert len(pcm) % 2 == 0
    assert 2.0 < duration_s(pcm, rate) < 10.0
    assert rms(pcm) > 500


@needs_espeak
def test_the_same_sentence_lasts_as_long_at_both_rates():
    synthesizer = EspeakSynthesizer()
    narrow, wide = synthesizer.synthesize("确认", 8000), synthesizer.synthesize("确认", 16000)
    assert 0.3 < duration_s(narrow, 8000) < 3.0
    assert duration_s(wide, 16000) == pytest.approx(duration_s(narrow, 8000), rel=0.02)


@needs_espeak
def test_a_longer_text_takes_longer_and_speed_is_an_option():
    short, long = "确认转账吗？", "请确认：从储蓄卡尾号幺二三四向李娜转账五百元。确认转账吗？"
    normal, slow = EspeakSynthesizer(), EspeakSynthesizer(speed_wpm=120)
    assert len(normal.synthesize(long, 8000)) > 2 * len(normal.synthesize(short, 8000))
    assert len(slow.synthesize(long, 8000)) > 1.2 * len(normal.synthesize(long, 8000))


@needs_espeak
def test_a_cached_sentence_is_not_synthesised_again(monkeypatch):
    synthesizer = EspeakSynthesizer()
    first = synthesizer.synthesize("请问还有什么可以帮您？", 8000)
    no_subprocess(monkeypatch)
    assert synthesizer.synthesize("请问还有什么可以帮您？", 8000) == first
    with pytest.raises(AssertionError, match="unexpected subprocess"):
        synthesizer.synthesize("请问还有什么可以帮您？", 16000)  # another rate is another entry


@needs_espeak
def test_check_passes_when_installed():
    EspeakSynthesizer().check()


@needs_espeak
def test_a_failing_espeak_reports_its_error():
    with pytest.raises(TtsError, match="espeak-ng failed.*voice"):
        EspeakSynthesizer(voice="nonexistent").synthesize("你好", 8000)


@needs_espeak
def test_check_reports_a_voice_espeak_does_not_have():
    with pytest.raises(TtsUnavailable, match="voice nonexistent.*does not exist.*apt-get install"):
        EspeakSynthesizer(voice="nonexistent").check()


# ----------------------------------------------------------------- failures without espeak


@pytest.mark.parametrize("text", ["", "   ", "。", "👍"])
def test_nothing_to_say_is_silence_without_a_subprocess(monkeypatch, text):
    no_subprocess(monkeypatch)
    assert EspeakSynthesizer().synthesize(text, 8000) == b""


def test_check_names_the_missing_package(monkeypatch):
    monkeypatch.setattr(tts.shutil, "which", lambda program: None if program == "espeak-ng" else "/usr/bin/sox")
    with pytest.raises(TtsUnavailable) as error:
        EspeakSynthesizer().check()
    assert "espeak-ng" in str(error.value) and "sox" not in str(error.value)
    assert "apt-get install -y espeak-ng" in str(error.value)


def test_synthesis_without_espeak_on_path_is_unavailable(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(TtsUnavailable, match="apt-get install -y espeak-ng"):
        EspeakSynthesizer().synthesize("你好", 8000)


def test_a_hanging_espeak_times_out(monkeypatch):
    def hang(command, **kwargs):
        raise subprocess.TimeoutExpired(command, kwargs["timeout"])

    monkeypatch.setattr(subprocess, "run", hang)
    with pytest.raises(TtsError, match="espeak-ng took longer than 0.5 s"):
        EspeakSynthesizer(timeout_s=0.5).synthesize("你好", 8000)


# ----------------------------------------------------------------- test double


def test_tone_synthesizer_lasts_60_ms_a_character(monkeypatch):
    no_subprocess(monkeypatch)
    tone = ToneSynthesizer()
    for rate in (8000, 16000):
        assert duration_s(tone.synthesize("你好", rate), rate) == pytest.approx(0.12)
        assert duration_s(tone.synthesize("你好 再见", rate), rate) == pytest.approx(0.24)
    assert rms(tone.synthesize("你好", 8000)) > 1000
    assert tone.synthesize(" ", 8000) == b""
