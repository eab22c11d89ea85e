"""The dialogue data as Rasa checks it: data validation and the conversation test stories."""

import subprocess
import sys

import pytest

from bot import manage


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "rasa", *args], cwd=manage.REPO_ROOT,
                          env=manage.child_env(), capture_output=True, text=True, timeout=timeout)


def test_rasa_data_validate_passes_with_warnings_as_errors():
    result = rasa("data", "validate", "--fail-on-warnings", "--domain", "bot/domain",
                  "--data", "bot/data", "--config", "config.yml")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.e2e
def test_conversation_stories_are_predicted_exactly(trained_model, tmp_path):
    result = rasa("test", "core", "--model", str(trained_model), "--stories", "tests/stories",
                  "--fail-on-prediction-errors", "--out", str(tmp_path))
    report = (tmp_path / "failed_test_stories.yml")
    failed = report.read_text(encoding="utf-8") if report.exists() else ""
    assert result.returncode == 0, failed or (result.stdout[-3000:] + result.stderr[-3000:])
