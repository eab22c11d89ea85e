"""The action server must register exactly the custom actions the domain names."""

import yaml
from rasa_sdk.executor import ActionExecutor

from bot import manage


def domain_custom_actions() -> set[str]:
    names = set()
    for path in (manage.REPO_ROOT / "bot" / "domain").glob("*.yml"):
        names.update(yaml.safe_load(path.read_text(encoding="utf-8")).get("actions") or [])
    return names


def test_action_server_registers_every_domain_action_and_nothing_else():
    executor = ActionExecutor()
    executor.register_package("actions")
    assert set(executor.actions) == domain_custom_actions()
