"""NLU quality gates on data the model never saw.

`trained_model` (tests/conftest.py) is the path of a model trained on bot/data with config.yml.
"""

from pathlib import Path

import pytest

from bot.evaluate_nlu import (
    DEFAULT_CONFIG,
    HOLDOUTS,
    MAX_OOS_ANY_ACCEPTANCE,
    MAX_OOS_BANKING_ACCEPTANCE,
    MIN_HOLDOUT_ACCURACY,
    SMP_OOS_TSV,
    Prediction,
    banking_acceptances,
    fallback_threshold,
    intent_accuracy,
    is_false_acceptance,
    label_of,
    load_interpreter,
    load_labelled_examples,
    out_of_scope_false_acceptance,
    read_oos_texts,
)
from bot.faq.checks import NLU_DIR, question_key

# The thresholds live in bot/evaluate_nlu.py: the console's publish gates hold a new model to them too.


def smp_requests() -> Path:
    """The SMP2019 file in ../shared/data; missing, the test fails: a quality gate is never skipped."""
    if not SMP_OOS_TSV.exists():
        pytest.fail(f"evaluation data not found: {SMP_OOS_TSV.resolve()} does not exist", pytrace=False)
    return SMP_OOS_TSV


@pytest.fixture(scope="module")
def agent(trained_model):
    return load_interpreter(trained_model)


@pytest.mark.quality
@pytest.mark.parametrize("holdout", HOLDOUTS, ids=lambda path: path.stem)
def test_holdout_intent_accuracy(agent, summary_line, holdout):
    accuracy, errors = intent_accuracy(agent, holdout)
    summary_line(f"NLU holdout intent accuracy: {accuracy:.1%} ({len(errors)} errors, {holdout.name})")
    report = "\n".join(str(error) for error in errors)
    print(f"\nholdout intent accuracy {accuracy:.3f}, {len(errors)} errors:\n{report}")
    assert accuracy >= MIN_HOLDOUT_ACCURACY, f"holdout accuracy {accuracy:.3f} < {MIN_HOLDOUT_ACCURACY}:\n{report}"


@pytest.mark.quality
def test_out_of_scope_false_acceptance(agent, summary_line):
    threshold = fallback_threshold(DEFAULT_CONFIG)
    rate, count, accepted = out_of_scope_false_acceptance(agent, smp_requests(), threshold)
    banking = banking_acceptances(accepted)
    banking_rate = len(banking) / count
    summary_line(
        f"Out-of-scope false acceptance (SMP2019, fallback threshold {threshold}): "
        f"banking intent {banking_rate:.1%} ({len(banking)}/{count}), "
        f"any intent {rate:.1%} ({len(accepted)}/{count})"
    )
    sample = "\n".join(f"{p.intent:<24} {p.confidence:.2f} {p.text}" for p in accepted[:40])
    assert banking_rate <= MAX_OOS_BANKING_ACCEPTANCE, f"banking false acceptance {banking_rate:.3f}:\n{sample}"
    assert rate <= MAX_OOS_ANY_ACCEPTANCE, f"false acceptance {rate:.3f}:\n{sample}"


# The measuring code and data themselves (no model needed).


@pytest.mark.parametrize("holdout", HOLDOUTS, ids=lambda path: path.stem)
def test_held_out_sentences_are_not_training_examples(holdout):
    trained = {question_key(text) for path in NLU_DIR.glob("*.yml") for text, _ in load_labelled_examples(path)}
    assert [text for text, _ in load_labelled_examples(holdout) if question_key(text) in trained] == []


def test_fallback_threshold_is_read_from_the_pipeline(tmp_path):
    config = tmp_path / "config.yml"
    config.write_text(
        "pipeline:\n  - name: DIETClassifier\n  - name: FallbackClassifier\n    threshold: 0.72\n",
        encoding="utf-8",
    )
    assert fallback_threshold(config) == 0.72


def test_oos_texts_skip_header_and_blank_rows(tmp_path):
    tsv = tmp_path / "oos.tsv"
    tsv.write_text("domain\ttext\ncookbook\t红烧肉怎么做\nmusic\t \nweather\t明天下雨吗\n", encoding="utf-8")
    assert read_oos_texts(tsv) == ["红烧肉怎么做", "明天下雨吗"]


@pytest.mark.parametrize(
    "intent, confidence, accepted",
    [
        ("check_balance", 0.9, True),
        ("greet", 0.9, True),
        ("faq/transfer_fee", 0.95, True),
        ("check_balance", 0.5, False),
        ("out_of_scope", 0.99, False),
        ("nlu_fallback", 0.6, False),
    ],
)
def test_false_acceptance_rule(intent, confidence, accepted):
    assert is_false_acceptance(Prediction("x", intent, confidence), threshold=0.6) is accepted


def test_retrieval_intent_is_labelled_with_the_selected_topic():
    parse = {
        "intent": {"name": "faq", "confidence": 0.97},
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {"response": {"intent_response_key": "faq/card_replacement"}},
        },
    }
    assert label_of(parse) == ("faq/card_replacement", 0.97)


def test_training_data_holds_no_line_of_the_measurement_set():
    """The SMP2019 requests measure out-of-scope handling; none of them may be trained on."""
    import re

    from bot.evaluate_nlu import REPO_ROOT, load_labelled_examples

    def squash(text):
        return re.sub(r"[\s,.!?，。！？、啊呢吧]", "", text)

    measured = {squash(text) for text in read_oos_texts(smp_requests())}
    trained = [
        text
        for path in sorted((REPO_ROOT / "bot" / "data" / "nlu").glob("*.yml"))
        for text, _label in load_labelled_examples(path)
    ]
    assert [text for text in trained if squash(text) in measured] == []


def test_banking_acceptances_leave_out_small_talk():
    predictions = [
        Prediction("a", "inform", 0.9),
        Prediction("b", "query_bill", 0.9),
        Prediction("c", "faq/service_hours", 0.9),
        Prediction("d", "greet", 0.9),
    ]
    assert [p.text for p in banking_acceptances(predictions)] == ["b", "c"]
