"""The voice command line (``python -m voice``, called as a function here): fails fast and
clearly before any server starts."""

from dataclasses import dataclass

import pytest

from tests.voice import installed
from tests.voice.doubles import spoken
from voice import vosk_model
from voice.__main__ import dtmf_schedule, main
from voice.audio import write_wav


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_cli(monkeypatch, capsys, tmp_path):
    """``python -m voice ARGS`` with no VOSK_MODEL unless given (the model from make setup), in a fresh HOME."""

    def run(*args: str, vosk_model: str | None = None) -> Done:
        monkeypatch.setenv("HOME", str(tmp_path))
        if vosk_model:
            monkeypatch.setenv("VOSK_MODEL", vosk_model)
        else:
            monkeypatch.delenv("VOSK_MODEL", raising=False)
        code = main(list(args))
        return Done(code, *capsys.readouterr())

    return run


def test_no_model_installed_or_configured_says_what_to_do(tmp_path, run_cli, monkeypatch):
    monkeypatch.setattr(vosk_model, "MODELS_DIR", tmp_path / "not-installed")
    wav = tmp_path / "in.wav"
    write_wav(wav, spoken("你好", 8000), 8000)
    done = run_cli("call-file", str(wav), str(tmp_path / "out"))
    assert done.returncode == 2
    assert "make setup" in done.stderr and "VOSK_MODEL" in done.stderr
    assert "Rasa server" not in done.stdout, "nothing was started"


def test_a_file_that_is_not_audio_is_named(tmp_path, run_cli):
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    done = run_cli("call-file", str(bad), str(tmp_path / "out"), vosk_model=str(installed.korean_model()))
    assert done.returncode == 2 and "notes.wav" in done.stderr


def test_keypad_schedule():
    assert dtmf_schedule(["12.5:1234#", "3:1"]) == [(12.5, "1234#"), (3.0, "1")]
    for bad in ("1234#", "x:1", "3:"):
        with pytest.raises(SystemExit, match="SECONDS:KEYS"):
            dtmf_schedule([bad])
