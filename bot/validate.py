"""``make validate``: Rasa's data validation, with the bot's words checked against the actions.

Most responses are uttered by actions (``dispatcher.utter_message(response="utter_…")``), not
by stories, so Rasa would call them unused: responses named in actions/ count as used. Every
response an action names must exist in the domain; a missing one fails validation, since at
run time Rasa would silently say nothing.
"""

import re
import sys
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted
from rasa.validator import Validator

REPO_ROOT = Path(__file__).resolve().parents[1]
RESPONSE_NAME = re.compile(r"""["'](utter_[a-z0-9_]+)["']""")
# a name built at run time, f"utter_bank_{error.code}": every response with that prefix counts as named
RESPONSE_NAME_PREFIX = re.compile(r"""f["'](utter_[a-z0-9_]+_)\{""")
# uttered by Rasa's own actions: action_default_fallback says utter_default
RASA_DEFAULT_RESPONSES = {"utter_default"}
RASA_ARGS = ["data", "validate", "--fail-on-warnings", "--domain", "bot/domain", "--data", "bot/data"]


def responses_named_in_actions(root: Path = REPO_ROOT / "actions") -> set[str]:
    return {
        match.group(1)
        for path in sorted(root.rglob("*.py"))
        for match in RESPONSE_NAME.finditer(path.read_text(encoding="utf-8"))
    }


def response_prefixes_in_actions(root: Path = REPO_ROOT / "actions") -> set[str]:
    return {
        match.group(1)
        for path in sorted(root.rglob("*.py"))
        for match in RESPONSE_NAME_PREFIX.finditer(path.read_text(encoding="utf-8"))
    }


def responses_with_prefixes(domain: Domain, prefixes: set[str]) -> set[str]:
    return {name for name in domain.responses if name.startswith(tuple(prefixes))} if prefixes else set()


def missing_responses(domain: Domain, named: set[str]) -> list[str]:
    return sorted(named - set(domain.responses))


def count_action_responses_as_used(named: set[str]) -> None:
    gather = Validator._gather_utterance_actions

    def gathered(validator: Validator) -> set[str]:
        in_stories = {
            event.action_name
            for step in validator.story_graph.story_steps
            for event in step.events
            if isinstance(event, ActionExecuted)
        }
        return gather(validator) - (named - in_stories)

    Validator._gather_utterance_actions = gathered  # type: ignore[method-assign]


def check_wording(domain: Domain) -> list[str]:
    """The responses actions name that the domain lacks; the others count as used from now on."""
    named = responses_named_in_actions() | RASA_DEFAULT_RESPONSES
    count_action_responses_as_used(named | responses_with_prefixes(domain, response_prefixes_in_actions()))
    return missing_responses(domain, named)


def main() -> int:
    missing = check_wording(Domain.load(REPO_ROOT / "bot" / "domain"))
    if missing:
        print(f"validate: actions utter responses the domain lacks: {', '.join(missing)}", file=sys.stderr)
        return 1
    from rasa.__main__ import main as rasa_main

    sys.argv = ["rasa", *RASA_ARGS, "--config", "config.yml"]
    rasa_main()
    return 0


if __name__ == "__main__":
    sys.exit(main())
