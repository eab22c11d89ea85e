import subprocess
import sys

import pytest
from jsonschema import ValidationError
from rasa.core.actions.action import RemoteAction
from rasa.utils.endpoints import EndpointConfig

from bot import processes, rasa_speedups, servers

VALID_REPLY = {
    "events": [{"event": "slot", "name": "phone", "value": "13800138000", "timestamp": None}],
    "responses": [{"text": "验证码已发送，请告诉我您收到的六位数字。"}],
}


@pytest.fixture
def action(monkeypatch):
    monkeypatch.setattr(RemoteAction, "_validate_action_result", RemoteAction._validate_action_result)
    rasa_speedups.install()
    return RemoteAction("action_send_otp", EndpointConfig("http://127.0.0.1:5055/webhook"))


def test_a_valid_reply_is_accepted_without_checking_the_schema_again(action, monkeypatch):
    assert action._validate_action_result(VALID_REPLY)  # builds the validator once

    def schema_checked(*_args, **_kwargs):
        raise AssertionError("the constant reply schema was validated again")

    monkeypatch.setattr("jsonschema.validators.Draft202012Validator.check_schema", classmethod(schema_checked))
    assert action._validate_action_result(VALID_REPLY)


@pytest.mark.parametrize("reply", [
    {"events": "not a list"},
    {"events": [{"event": "no_such_event"}]},
    {"responses": ["not an object"]},
])  # fmt: skip
def test_an_invalid_reply_fails_with_rasas_own_error(action, reply):
    with pytest.raises(ValidationError, match="Failed to validate Action server response"):
        action._validate_action_result(reply)


def test_the_rasa_server_and_shell_start_through_the_wrapper(tmp_path):
    command = servers.rasa_run_cmd(tmp_path / "m.tar.gz", tmp_path / "e.yml", 5005, None)
    assert command[1:4] == ["-m", "bot.rasa_cli", "run"]


@pytest.mark.e2e
def test_the_wrapper_runs_rasas_command_line():
    result = subprocess.run(
        [sys.executable, "-m", "bot.rasa_cli", "--version"],
        cwd=processes.REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env=processes.child_env(),
    )
    assert result.returncode == 0, result.stderr
    assert "Rasa Version      :         3.6.21" in result.stdout
