"""Multi-turn conversations as customers have them (tests/bot/conversations/*.yml), each run
end to end against the real Rasa and action servers and checked turn by turn and in the bank's
database (tests/scripted_conversations.py). Every conversation-repair pattern Rasa CALM names is
covered by tagged conversations; internal-error has its own test below."""

from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from actions.bank import db
from tests.scripted_conversations import (
    PATTERNS,
    TurnResult,
    latest_code,
    load_scripts,
    run_script,
    running_assistant,
    say,
    snapshot,
)

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1800, func_only=True)]

SCRIPTS = load_scripts(Path(__file__).parent / "conversations")
EVERY_TURN: list[TurnResult] = []
MIN_CONVERSATIONS_PER_PATTERN = 2


@pytest.fixture(scope="module")
def assistant(trained_model, tmp_path_factory):
    """One Rasa and action server for the module, on a bank reseeded before each conversation."""
    directory = tmp_path_factory.mktemp("conversations")
    bank_url = f"sqlite:///{directory / 'bank.db'}"
    with running_assistant(trained_model, bank_url, directory) as webhook:
        yield webhook, bank_url


def test_every_repair_pattern_rasa_calm_names_is_covered_by_conversations():
    tagged = {p: [s.name for s in SCRIPTS if p in s.patterns] for p in PATTERNS if p != "internal-error"}
    assert {p: len(names) for p, names in tagged.items() if len(names) < MIN_CONVERSATIONS_PER_PATTERN} == {}
    assert len(SCRIPTS) >= 60
    assert sum(s.style == "asr" for s in SCRIPTS) >= 15


@pytest.mark.parametrize("script", SCRIPTS, ids=[f"{'+'.join(s.patterns) or 'task'}:{s.name}" for s in SCRIPTS])
def test_conversation(assistant, script):
    outcome = run_script(script, *assistant)
    EVERY_TURN.extend(outcome.turns)
    assert outcome.succeeded, "\n".join(outcome.problems) + "\n" + outcome.transcript()


def test_internal_error_an_action_that_fails_gets_an_apology_and_moves_nothing(assistant):
    webhook, bank_url = assistant
    db.reseed(bank_url)
    sender = "internal-error"
    say(webhook, "我要转账", sender)
    say(webhook, "13800138000", sender)
    assert "转给谁" in say(webhook, latest_code(bank_url), sender)
    before = snapshot(bank_url)
    engine = create_engine(bank_url)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE payees"))  # the bank's data is broken mid-conversation
    engine.dispose()
    reply = say(webhook, "李娜", sender)
    EVERY_TURN.append(TurnResult("李娜", reply, []))
    assert "系统暂时出了点问题" in reply and "转人工" in reply
    assert snapshot(bank_url) == before
    reply = say(webhook, "谢谢", sender)  # the conversation goes on
    EVERY_TURN.append(TurnResult("谢谢", reply, []))
    assert "不客气" in reply


def test_no_conversation_of_the_suite_ever_got_an_empty_reply():
    """Runs after the conversations above (pytest keeps a module's order)."""
    turns = sum(len(s.turns) for s in SCRIPTS)
    if len(EVERY_TURN) < turns:
        pytest.skip("run with the whole module: the conversations did not all run")
    assert [t.said for t in EVERY_TURN if t.empty] == []
