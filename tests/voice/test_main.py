"""The voice command line: fails fast and clearly before any server starts."""

import subprocess
import sys

import pytest

from tests.voice import installed
from tests.voice.doubles import spoken
from voice.__main__ import dtmf_schedule
from voice.audio import write_wav


def run_cli(*args, env_extra=None, tmp_path=None):
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "voice", *args], capture_output=True, text=True, timeout=120,
                          env=env, stdin=subprocess.DEVNULL)


def test_no_model_configured_names_the_models_to_download(tmp_path):
    wav = tmp_path / "in.wav"
    write_wav(wav, spoken("你好", 8000), 8000)
    done = run_cli("call-file", str(wav), str(tmp_path / "out"), tmp_path=tmp_path)
    assert done.returncode == 2
    assert "vosk-model-small-cn-0.22" in done.stderr and "vosk-model-cn-0.22" in done.stderr
    assert "Rasa server" not in done.stdout, "nothing was started"


def test_a_file_that_is_not_audio_is_named(tmp_path):
    model = installed.korean_model()
    bad = tmp_path / "notes.wav"
    bad.write_text("not audio")
    done = run_cli("call-file", str(bad), str(tmp_path / "out"), env_extra={"VOSK_MODEL": str(model)},
                   tmp_path=tmp_path)
    assert done.returncode == 2 and "notes.wav" in done.stderr


def test_keypad_schedule():
    assert dtmf_schedule(["12.5:1234#", "3:1"]) == [(12.5, "1234#"), (3.0, "1")]
    for bad in ("1234#", "x:1", "3:"):
        with pytest.raises(SystemExit, match="SECONDS:KEYS"):
            dtmf_schedule([bad])
