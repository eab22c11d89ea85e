import re
import subprocess
from pathlib import Path

import pytest

from tests.voice import installed
from voice import asr_eval, vosk_model
from voice.asr_eval import DataError, cer, cer_chars, edit_distance, find_utterances, read_text, read_wav_scp
from voice.audio import silence, write_wav

SUMMARY = re.compile(r"band=(16k|8k-ulaw) cer=(\d+\.\d{3}) rtf=(\d+\.\d{3}) utterances=(\d+)")


@pytest.mark.parametrize(
    "reference, hypothesis, distance",
    [
        ("查余额", "查余额", 0),
        ("查余额", "查询余额", 1),
        ("查询余额", "查余额", 1),
        ("查余额", "差余额", 1),
        ("尾号6666", "尾号六六六六", 4),
        ("", "好", 1),
        ("你好", "", 2),
        ("kitten", "sitting", 3),
    ],
)
def test_edit_distance(reference, hypothesis, distance):
    assert edit_distance(reference, hypothesis) == distance


def test_cer_ignores_punctuation_and_spaces_but_not_digit_spelling():
    assert cer("你好，我想查 余额。", "你好 我想查余额") == 0
    assert cer("尾号6666", "尾号六六六六") == pytest.approx(4 / 6)
    assert cer("换一首歌", "换一首个歌吧") == pytest.approx(2 / 4)
    assert cer_chars("好！ 首先（说）一下\t") == "好首先说一下"


def write_corpus(folder: Path, lines: list[str], scp: list[str] | None = None) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text").write_text("\n".join(lines) + "\n", encoding="utf-8")
    if scp is not None:
        (folder / "wav.scp").write_text("\n".join(scp) + "\n", encoding="utf-8")


def test_text_file_drops_spaces_between_words(tmp_path):
    write_corpus(tmp_path, ["BAC009 甚至  出现  交易  的  情况", "", "IT0011   换一首歌", "EMPTY"])
    assert read_text(tmp_path / "text") == {"BAC009": "甚至出现交易的情况", "IT0011": "换一首歌", "EMPTY": ""}


def test_wav_scp_paths_are_relative_to_its_folder(tmp_path):
    write_corpus(tmp_path, ["a 你好"], ["a wav/a.wav", "b /abs/b.wav"])
    assert read_wav_scp(tmp_path / "wav.scp") == {"a": tmp_path / "wav" / "a.wav", "b": Path("/abs/b.wav")}


def test_utterances_found_through_wav_scp_or_next_to_text(tmp_path):
    write_corpus(tmp_path / "listed", ["u1 你好", "u2 再见"], ["u1 wav/u1.wav", "u2 wav/u2.wav"])
    (tmp_path / "listed" / "wav").mkdir()
    write_wav(tmp_path / "listed" / "wav" / "u1.wav", silence(16000, 100), 16000)
    write_wav(tmp_path / "listed" / "u2.wav", silence(16000, 100), 16000)  # flattened copy
    write_corpus(tmp_path / "plain", ["u3 查余额"])
    write_wav(tmp_path / "plain" / "u3.wav", silence(8000, 100), 8000)
    found = {u.id: (u.reference, u.wav) for u in find_utterances(tmp_path)}
    assert found == {
        "u1": ("你好", tmp_path / "listed" / "wav" / "u1.wav"),
        "u2": ("再见", tmp_path / "listed" / "u2.wav"),
        "u3": ("查余额", tmp_path / "plain" / "u3.wav"),
    }


def test_missing_audio_or_data_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        find_utterances(tmp_path / "nowhere")
    with pytest.raises(DataError, match="no Kaldi-style"):
        find_utterances(tmp_path)
    write_corpus(tmp_path, ["u1 你好"])
    with pytest.raises(DataError, match="no audio for utterance u1"):
        find_utterances(tmp_path)


def test_missing_model_exits_2_with_the_download_hint(tmp_path, monkeypatch, capsys):
    write_corpus(tmp_path, ["u1 你好"])
    write_wav(tmp_path / "u1.wav", silence(16000, 100), 16000)
    monkeypatch.delenv("VOSK_MODEL", raising=False)
    monkeypatch.setattr(vosk_model, "MODELS_DIR", tmp_path / "not-installed")
    assert asr_eval.main(["--data", str(tmp_path)]) == 2
    assert "make setup" in capsys.readouterr().err
    assert asr_eval.main([str(tmp_path / "no-model"), "--data", str(tmp_path)]) == 2
    assert "no-model does not exist" in capsys.readouterr().err


def test_missing_data_dir_exits_2(tmp_path, capsys):
    assert asr_eval.main([str(tmp_path), "--data", str(tmp_path / "speech_zh")]) == 2
    assert "speech_zh does not exist" in capsys.readouterr().err


def test_command_line_run_on_synthesized_speech(tmp_path, capsys):
    model = installed.korean_model()
    write_corpus(tmp_path, ["ko1 사과 좋아요"])
    espeak = installed.program("espeak-ng")
    subprocess.run([espeak, "-v", "ko", "-w", str(tmp_path / "ko1.wav"), "사과 좋아요"], check=True)
    code = asr_eval.main([str(model), "--data", str(tmp_path)])  # python -m voice.asr_eval MODEL --data DIR
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("ko1\t16k\tref=사과좋아요\thyp=") and lines[1].startswith("ko1\t8k-ulaw\t")
    for line, band in zip(lines[-2:], ("16k", "8k-ulaw"), strict=True):
        summary = SUMMARY.fullmatch(line)
        assert summary and summary[1] == band, line
        error_rate, rtf, count = float(summary[2]), float(summary[3]), int(summary[4])
        assert 0 <= error_rate <= 1 and rtf > 0 and count == 1  # how fast: make bench-voice
