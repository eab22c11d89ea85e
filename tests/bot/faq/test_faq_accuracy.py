"""The trained assistant picks the right FAQ for phrasings it never saw: tests/bot/faq/holdout.yml,
and holdout_fresh.yml, written later from the answers alone."""

from collections import Counter
from pathlib import Path

import pytest
import yaml

from bot.evaluate_nlu import load_interpreter, predict
from bot.faq import checks
from nlu import faq_source

HOLDOUTS = [Path(__file__).with_name("holdout.yml"), Path(__file__).with_name("holdout_fresh.yml")]
MIN_TOP1 = 0.90  # end to end: the blended intent must be `faq` and the FAQ the right one


def holdout_pairs(path: Path) -> list[tuple[str, str]]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [(text, f"faq/{faq_id}") for faq_id, texts in data.items() for text in texts]


@pytest.fixture(scope="module")
def faqs() -> list:
    return faq_source.load()


@pytest.mark.parametrize("holdout", HOLDOUTS, ids=lambda path: path.stem)
def test_holdout_is_not_training_data_and_covers_every_enabled_faq(holdout, faqs):
    trained = {checks.question_key(q) for f in faqs for q in f.questions}
    pairs = holdout_pairs(holdout)
    assert not [text for text, _ in pairs if checks.question_key(text) in trained]
    enabled = {f"faq/{f.id}" for f in faqs if f.enabled}
    assert {label for _, label in pairs} == enabled


def test_the_two_holdouts_do_not_overlap():
    first, second = ({checks.question_key(text) for text, _ in holdout_pairs(path)} for path in HOLDOUTS)
    assert not first & second


@pytest.fixture(scope="module")
def interpreter(trained_model):
    return load_interpreter(trained_model)


@pytest.mark.quality
@pytest.mark.timeout(1800, func_only=True)
@pytest.mark.parametrize("holdout", HOLDOUTS, ids=lambda path: path.stem)
def test_faq_top1_accuracy_on_held_out_phrasings(interpreter, holdout, summary_line):
    pairs = holdout_pairs(holdout)
    predictions = predict(interpreter, [text for text, _ in pairs])
    wrong = [
        (text, expected, p.intent)
        for (text, expected), p in zip(pairs, predictions, strict=True)
        if p.intent != expected
    ]
    accuracy = 1 - len(wrong) / len(pairs)
    summary_line(f"FAQ top-1 on {len(pairs)} held-out phrasings ({holdout.name}): {accuracy:.1%}")
    confusions = Counter((expected, got) for _, expected, got in wrong).most_common(10)
    assert accuracy >= MIN_TOP1, f"{accuracy:.1%} < {MIN_TOP1:.0%}; worst: {confusions}; e.g. {wrong[:10]}"
