"""The bot's words live in the domain: actions name responses, they do not write sentences."""

import ast
from pathlib import Path

from rasa.shared.core.domain import Domain

from bot.validate import missing_responses, responses_named_in_actions

ACTIONS = Path(__file__).resolve().parents[2] / "actions"
DOMAIN = ACTIONS.parent / "bot" / "domain"
# An FAQ's answer is the FAQ's own words, kept by staff in the FAQ source and carried in the model.
TEXT_FROM_DATA = {"faq.py"}


def utterances_with_text(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "utter_message"
        and any(keyword.arg == "text" for keyword in node.keywords)
    ]


def test_no_action_writes_customer_wording_itself():
    written = {
        f"{path.relative_to(ACTIONS)}:{line}"
        for path in sorted(ACTIONS.rglob("*.py"))
        if path.name not in TEXT_FROM_DATA
        for line in utterances_with_text(path)
    }
    assert written == set()


def test_the_check_finds_a_written_sentence(tmp_path):
    source = tmp_path / "example.py"
    source.write_text('def run(dispatcher):\n    dispatcher.utter_message(text="您好")\n', encoding="utf-8")
    assert utterances_with_text(source) == [2]


def test_every_response_an_action_names_is_in_the_domain():
    named = responses_named_in_actions(ACTIONS)
    assert {"utter_verified", "utter_ask_confirm_transfer", "utter_bill_due"} <= named
    assert missing_responses(Domain.load(DOMAIN), named) == []
