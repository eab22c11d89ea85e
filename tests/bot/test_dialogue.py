"""The dialogue data as Rasa checks it: data validation and the conversation test stories."""

import subprocess
import sys
import warnings

import pytest
from rasa.cli.utils import validate_files
from rasa.shared.importers.importer import TrainingDataImporter
from rasa.validator import Validator

from bot import processes, validate


def rasa(*args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "rasa", *args],
        cwd=processes.REPO_ROOT,
        env=processes.child_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_rasa_data_validate_passes_with_warnings_as_errors(monkeypatch):
    """What `make validate` runs (bot.validate, then rasa data validate --fail-on-warnings), in
    this process: a second Python importing Rasa would cost more than the validation itself.
    No response is left unused: each is said by a story, a rule or an action."""
    monkeypatch.setenv("RASA_TELEMETRY_ENABLED", "false")
    monkeypatch.chdir(processes.REPO_ROOT)
    monkeypatch.setattr(Validator, "_gather_utterance_actions", Validator._gather_utterance_actions)
    importer = TrainingDataImporter.load_from_config(
        domain_path="bot/domain", training_data_paths=["bot/data"], config_path="config.yml"
    )
    assert validate.check_wording(importer.get_domain()) == []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            validate_files(fail_on_warnings=True, max_history=None, importer=importer)
        except SystemExit:
            pytest.fail("rasa data validate found problems: see the captured log and warnings", pytrace=False)
    assert [str(w.message) for w in caught if "is not used in any story" in str(w.message)] == []


@pytest.mark.e2e
def test_conversation_stories_are_predicted_exactly(trained_model, tmp_path):
    result = rasa(
        "test",
        "core",
        "--model",
        str(trained_model),
        "--stories",
        "tests/stories",
        "--fail-on-prediction-errors",
        "--out",
        str(tmp_path),
    )
    report = tmp_path / "failed_test_stories.yml"
    failed = report.read_text(encoding="utf-8") if report.exists() else ""
    assert result.returncode == 0, failed or (result.stdout[-3000:] + result.stderr[-3000:])
