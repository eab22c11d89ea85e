"""What the assistant runs on, rebuilt only when its sources change: the spaCy-zh model
directory, the demo bank database and the trained model models/<content hash>.tar.gz.
"""

import contextlib
import fcntl
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterable, Iterator, List, Optional

from bot.processes import REPO_ROOT, ManageError, log_file, python_module, rel, run_checked

MODELS_DIR = "models"
SPACY_DIR = "var/spacy_zh"
TRAINING_INPUTS = ("config.yml", "bot/domain", "bot/data", "bot/faq/faqs.yml", "nlu")
SPACY_INPUTS = ("nlu",)
HASH_LENGTH = 16
MODELS_KEPT = 5
RASA_CACHE_ENV = "RASA_CACHE_DIRECTORY"
RASA_CACHE_DIR = ".rasa/cache"


def _is_ignored(path: Path) -> bool:
    return "__pycache__" in path.parts or path.suffix in {".pyc", ".pyo"} or path.name.startswith(".")


def input_files(root: Path, inputs: Iterable[str]) -> List[Path]:
    """Files under the given repo-relative paths, sorted by their relative POSIX path."""
    found = []
    for name in inputs:
        path = root / name
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(p for p in path.rglob("*") if p.is_file() and not _is_ignored(p.relative_to(root)))
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def content_hash(root: Path = REPO_ROOT, inputs: Iterable[str] = TRAINING_INPUTS) -> str:
    """sha256 over (relative path, size, bytes) of every input file, truncated."""
    digest = hashlib.sha256()
    for path in input_files(root, inputs):
        data = path.read_bytes()
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(b"\0%d\0" % len(data))
        digest.update(data)
    return digest.hexdigest()[:HASH_LENGTH]


def ensure_spacy(root: Path = REPO_ROOT) -> Path:
    """(Re)build the spaCy-zh model dir when the nlu/ sources changed since the last build."""
    target = root / SPACY_DIR
    stamp = target.with_name(target.name + ".stamp")
    if not (root / "nlu" / "spacy_zh.py").exists():
        print("warning: nlu/spacy_zh.py not found; skipping the spaCy build", file=sys.stderr)
        return target
    wanted = content_hash(root, SPACY_INPUTS)
    if target.is_dir() and stamp.exists() and stamp.read_text().strip() == wanted:
        return target
    print(f"Building {SPACY_DIR} ...", flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    run_checked(python_module("nlu.spacy_zh", "build", SPACY_DIR), root, "spaCy build")
    stamp.write_text(wanted + "\n")
    return target


def ensure_bank_db(root: Path = REPO_ROOT) -> None:
    """Create tables and seed demo data; `actions.bank init` is safe to repeat."""
    if not (root / "actions" / "bank" / "__main__.py").exists():
        print("warning: actions/bank/__main__.py not found; skipping DB init", file=sys.stderr)
        return
    run_checked(python_module("actions.bank", "init"), root, "bank DB init")


def setup(root: Path = REPO_ROOT) -> None:
    ensure_spacy(root)
    ensure_bank_db(root)


# --------------------------------------------------------------------------- training


def model_path(root: Path = REPO_ROOT, digest: Optional[str] = None) -> Path:
    return root / MODELS_DIR / f"{digest or content_hash(root)}.tar.gz"


@contextlib.contextmanager
def _exclusive(lock_file: Path) -> Iterator[None]:
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_file, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def train(root: Path = REPO_ROOT, force: bool = False) -> Path:
    """Return models/<hash>.tar.gz for the current sources, training only if it is missing."""
    if not (root / "config.yml").exists():
        raise ManageError(f"{rel(root / 'config.yml', root)} is missing; nothing to train")
    target = model_path(root)
    if target.exists() and not force:
        print(f"Sources unchanged, reusing {rel(target, root)}", flush=True)
        return target
    ensure_spacy(root)
    # Two trainers at once (make train + pytest) would both write the same file: serialise.
    with _exclusive(root / MODELS_DIR / ".train.lock"):
        if target.exists() and not force:
            print(f"Trained meanwhile, reusing {rel(target, root)}", flush=True)
            return target
        _train_into(root, target)
    _prune_models(target.parent, keep=MODELS_KEPT)
    print(f"Model: {rel(target, root)}", flush=True)
    return target


def rasa_cache_dir(root: Path = REPO_ROOT) -> Path:
    """Rasa's training cache (RASA_CACHE_DIRECTORY, else .rasa/cache), as an absolute path. Rasa
    records where each cached output lies as the directory was given: from its relative default,
    an entry made in one working directory is not found by a training in another (the console's
    copy of the sources), and e.g. RulePolicy trains again although its fingerprint matched."""
    given = Path(os.environ.get(RASA_CACHE_ENV) or RASA_CACHE_DIR)
    return given if given.is_absolute() else (root / given).resolve()


def _train_into(root: Path, target: Path) -> None:
    name = target.name[: -len(".tar.gz")]
    log = log_file(root, "train.log")
    print(f"Training {rel(target, root)} (Rasa's log: {rel(log, root)}) ...", flush=True)
    started = time.monotonic()
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".training-") as out_dir:
        timing = Path(out_dir) / "timing.txt"
        cmd = python_module(
            "bot.rasa_cli", "train",
            "--config", "config.yml", "--domain", "bot/domain", "--data", "bot/data",
            "--out", out_dir, "--fixed-model-name", name,
        )  # fmt: skip
        cache = {RASA_CACHE_ENV: str(rasa_cache_dir(root))}
        run_checked(cmd, root, "rasa train", log=log, TRAIN_TIMING_FILE=str(timing), **cache)
        if timing.exists():
            print(timing.read_text(encoding="utf-8"), end="", flush=True)
        produced = Path(out_dir) / target.name
        if not produced.exists():
            raise ManageError(f"rasa train exited 0 but wrote no {target.name}")
        os.replace(produced, target)  # atomic: a half-written model is never picked up
    print(f"Trained in {time.monotonic() - started:.0f} s (the command's whole run)", flush=True)


def _prune_models(models_dir: Path, keep: int) -> None:
    models = sorted(models_dir.glob("*.tar.gz"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in models[keep:]:
        old.unlink(missing_ok=True)
