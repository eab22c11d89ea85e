"""The trained assistant picks the right FAQ for phrasings it never saw (tests/bot/faq/holdout.yml)."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.evaluate_nlu import load_interpreter, predict
from bot.faq import checks, entries

HOLDOUT = Path(__file__).with_name("holdout.yml")
# The target is 0.90; measured 0.855 end to end (IntentBlender decides `faq` and which
# one; the FAQ selector alone: 0.895). A regression guard below the measured figure until the
# target is reached, not the target.
MIN_TOP1 = 0.84


def holdout_pairs() -> list[tuple[str, str]]:
    data = yaml.safe_load(HOLDOUT.read_text(encoding="utf-8"))
    return [(text, f"faq/{faq_id}") for faq_id, texts in data.items() for text in texts]


def test_holdout_is_not_training_data_and_covers_every_enabled_faq():
    trained = {checks.question_key(q) for f in entries.load() for q in f.questions}
    pairs = holdout_pairs()
    assert not [text for text, _ in pairs if checks.question_key(text) in trained]
    enabled = {f"faq/{f.id}" for f in entries.load() if f.enabled}
    assert {label for _, label in pairs} == enabled


@pytest.mark.timeout(1800, func_only=True)
def test_faq_top1_accuracy_on_held_out_phrasings(trained_model, summary_line):
    pairs = holdout_pairs()
    predictions = predict(load_interpreter(trained_model), [text for text, _ in pairs])
    wrong = [(text, expected, p.intent) for (text, expected), p in zip(pairs, predictions)
             if p.intent != expected]
    accuracy = 1 - len(wrong) / len(pairs)
    summary_line(f"FAQ top-1 on {len(pairs)} held-out phrasings ({HOLDOUT.name}): {accuracy:.1%}")
    confusions = Counter((expected, got) for _, expected, got in wrong).most_common(10)
    assert accuracy >= MIN_TOP1, f"{accuracy:.1%} < {MIN_TOP1:.0%}; worst: {confusions}; e.g. {wrong[:10]}"
