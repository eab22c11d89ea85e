"""Measure NLU quality of a trained model.

Two figures:
- intent accuracy on the held-out set `tests/nlu_holdout.yml` (never used for training);
  a `faq/<topic>` example only counts as correct when the FAQ selector picks that topic;
- out-of-scope false acceptance on the SMP2019 non-finance requests (evaluation data that lives
  outside the repository): a request is falsely accepted when the model gives it any intent
  other than `out_of_scope` or `nlu_fallback` with confidence >= the FallbackClassifier
  threshold of `config.yml`. Greetings and other small talk count as false acceptance too,
  because none of those requests is small talk and the bot would answer them as if it were.
  The issue's target (≤ 5 %) is about requests that get a *banking* intent: an intent that starts
  a banking flow, an FAQ answer or a hand-off. `banking_acceptances` picks those out; the
  conversational intents (greet, affirm, inform, …) only lead to a generic "what can I do for you".

The thresholds both are held to (the `quality` test tier and the console's publish gates) are
here too: MIN_HOLDOUT_ACCURACY, MAX_OOS_BANKING_ACCEPTANCE, MAX_OOS_ANY_ACCEPTANCE.

Usage: .venv/bin/python -m bot.evaluate_nlu MODEL.tar.gz [--config config.yml] [--holdout PATH ...] [--json]
(--json: one JSON object on the last line of stdout, for the console's gates)
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, List, Optional, Tuple

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = REPO_ROOT / "config.yml"
DEFAULT_HOLDOUT = REPO_ROOT / "tests" / "nlu_holdout.yml"
# The evaluation data lives outside the repository: ../shared/data, or where SHARED_DATA_DIR says.
SHARED_DATA = Path(os.environ.get("SHARED_DATA_DIR") or REPO_ROOT.parent / "shared" / "data")
SMP_OOS_TSV = SHARED_DATA / "out_of_domain" / "smp2019_out_of_scope.tsv"

ACCEPTED_AS_OUT_OF_SCOPE = frozenset({"out_of_scope", "nlu_fallback"})

# The target. Measured 0.917 with nlu.intent_classifier (docs/benchmarks.md "NLU quality").
MIN_HOLDOUT_ACCURACY = 0.90
MAX_OOS_BANKING_ACCEPTANCE = 0.05  # the target: non-finance requests given a banking intent
MAX_OOS_ANY_ACCEPTANCE = 0.08  # any intent but out_of_scope, small talk included: a regression guard
# nlu_holdout_fresh.yml was written after the blend's settings were chosen on nlu_holdout.yml.
HOLDOUTS = [DEFAULT_HOLDOUT, DEFAULT_HOLDOUT.with_name("nlu_holdout_fresh.yml")]


@dataclass(frozen=True)
class Prediction:
    text: str
    intent: str
    confidence: float


@dataclass(frozen=True)
class IntentError:
    text: str
    expected: str
    predicted: str
    confidence: float

    def __str__(self) -> str:
        return f"{self.expected:<28} -> {self.predicted:<28} {self.confidence:.2f}  {self.text}"


def load_interpreter(model_path: str | Path) -> Any:
    """Load a trained model (.tar.gz) as a Rasa Agent that can parse text."""
    from rasa.core.agent import Agent
    from rasa.utils.log_utils import configure_structlog

    configure_structlog(logging.WARNING)  # otherwise every parse is logged to stdout
    return Agent.load(str(model_path))


def label_of(parse: dict) -> Tuple[str, float]:
    """Predicted label; retrieval intents get their full `faq/<topic>` key."""
    intent = parse.get("intent") or {}
    name = intent.get("name") or "None"
    confidence = float(intent.get("confidence") or 0.0)
    selectors = parse.get("response_selector") or {}
    selected = None
    if name in selectors.get("all_retrieval_intents", []):
        # keyed by the retrieval intent, or "default" when ResponseSelector has no retrieval_intent set
        selected = selectors.get(name) or selectors.get("default")
    if selected:
        key = (selected.get("response") or {}).get("intent_response_key")
        if key:
            name = key
    return name, confidence


def predict(agent: Any, texts: Iterable[str]) -> List[Prediction]:
    """Parse texts one after another on a single event loop (fast enough for a few thousand)."""

    async def parse_all(items: List[str]) -> List[Prediction]:
        results = []
        for text in items:
            name, confidence = label_of(await agent.parse_message(text))
            results.append(Prediction(text, name, confidence))
        return results

    return asyncio.run(parse_all(list(texts)))


def load_labelled_examples(holdout_path: str | Path) -> List[Tuple[str, str]]:
    """(text, label) pairs from a Rasa NLU YAML file; label is `faq/<topic>` for retrieval intents."""
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(holdout_path))
    pairs = []
    for message in data.intent_examples:
        label = message.get("intent_response_key") or message.get("intent")
        pairs.append((message.get("text"), label))
    return pairs


def same_label(predicted: str, expected: str) -> bool:
    """Equal labels; an expected bare `faq` accepts any FAQ topic (topics are measured elsewhere)."""
    return predicted == expected or ("/" not in expected and predicted.split("/")[0] == expected)


def intent_accuracy(agent: Any, holdout_path: str | Path = DEFAULT_HOLDOUT) -> Tuple[float, List[IntentError]]:
    """Share of held-out examples whose predicted label equals the annotated one."""
    examples = load_labelled_examples(holdout_path)
    if not examples:
        raise ValueError(f"no examples in {holdout_path}")
    predictions = predict(agent, [text for text, _ in examples])
    errors = [
        IntentError(p.text, expected, p.intent, p.confidence)
        for (_, expected), p in zip(examples, predictions, strict=True)
        if not same_label(p.intent, expected)
    ]
    return 1.0 - len(errors) / len(examples), errors


def fallback_threshold(config_path: str | Path = DEFAULT_CONFIG) -> float:
    """The `threshold` of the FallbackClassifier entry in the pipeline of config_path."""
    config = yaml.safe_load(Path(config_path).read_text(encoding="utf-8")) or {}
    for component in config.get("pipeline") or []:
        if component.get("name") == "FallbackClassifier":
            return float(component.get("threshold", 0.3))  # 0.3 is Rasa's own default
    raise ValueError(f"{config_path} has no FallbackClassifier in its pipeline")


def read_oos_texts(tsv_path: str | Path) -> List[str]:
    """Texts of a tab-separated file with columns `domain` and `text` (header optional)."""
    with open(tsv_path, encoding="utf-8", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t") if len(row) >= 2]
    if rows and rows[0][0].strip() == "domain":
        rows = rows[1:]
    return [row[1].strip() for row in rows if row[1].strip()]


def is_false_acceptance(prediction: Prediction, threshold: float) -> bool:
    return prediction.intent.split("/")[0] not in ACCEPTED_AS_OUT_OF_SCOPE and prediction.confidence >= threshold


CONVERSATIONAL_INTENTS = frozenset({"greet", "goodbye", "thank", "affirm", "deny", "cancel", "bot_challenge", "inform"})


def banking_acceptances(accepted: Iterable[Prediction]) -> List[Prediction]:
    """The false acceptances that would start a banking flow, answer an FAQ or hand off."""
    return [p for p in accepted if p.intent.split("/")[0] not in CONVERSATIONAL_INTENTS]


def out_of_scope_false_acceptance(
    agent: Any, tsv_path: str | Path, threshold: float
) -> Tuple[float, int, List[Prediction]]:
    """(rate, number of requests, the falsely accepted predictions) for out-of-scope requests."""
    texts = read_oos_texts(tsv_path)
    if not texts:
        raise ValueError(f"no requests in {tsv_path}")
    accepted = [p for p in predict(agent, texts) if is_false_acceptance(p, threshold)]
    return len(accepted) / len(texts), len(texts), accepted


def _parse_args(argv: Optional[List[str]]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Holdout intent accuracy and OOS false acceptance of an NLU model")
    parser.add_argument("model", help="trained model .tar.gz")
    parser.add_argument("--config", default=str(DEFAULT_CONFIG), help="config.yml with the FallbackClassifier")
    parser.add_argument("--holdout", action="append", help=f"held-out set, repeatable (default {DEFAULT_HOLDOUT})")
    parser.add_argument("--oos", default=str(SMP_OOS_TSV), help="TSV of out-of-scope requests")
    parser.add_argument("--show", type=int, default=30, help="how many errors to print")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = parser.parse_args(argv)
    args.holdout = args.holdout or [str(DEFAULT_HOLDOUT)]
    return args


def figures(agent: Any, holdouts: List[str], oos: str, config: str, show: int) -> dict:
    """Every figure as plain data: each held-out set's accuracy and errors, and the out-of-scope
    false acceptance (or why it was skipped). At most ``show`` errors or acceptances each."""
    found: dict = {"holdouts": [], "out_of_scope": None, "out_of_scope_skipped": ""}
    for holdout in holdouts:
        accuracy, errors = intent_accuracy(agent, holdout)
        found["holdouts"].append(
            {
                "name": Path(holdout).stem,
                "accuracy": accuracy,
                "examples": len(load_labelled_examples(holdout)),
                "errors": [error.__dict__ for error in errors[:show]],
                "error_count": len(errors),
            }
        )
    if not Path(oos).exists():
        found["out_of_scope_skipped"] = f"{oos} not found (evaluation data lives outside the repo)"
        return found
    threshold = fallback_threshold(config)
    rate, count, accepted = out_of_scope_false_acceptance(agent, oos, threshold)
    banking = banking_acceptances(accepted)
    found["out_of_scope"] = {
        "threshold": threshold,
        "count": count,
        "rate": rate,
        "banking_rate": len(banking) / count,
        "accepted": [p.__dict__ for p in accepted[:show]],
        "banking": [p.__dict__ for p in banking[:show]],
    }
    return found


def main(argv: Optional[List[str]] = None) -> int:
    args = _parse_args(argv)
    agent = load_interpreter(args.model)
    if args.json:
        print(json.dumps(figures(agent, args.holdout, args.oos, args.config, args.show), ensure_ascii=False))
        return 0
    for holdout in args.holdout:
        _print_holdout(agent, holdout, args.show)
    if not Path(args.oos).exists():
        print(f"out-of-scope check skipped: {args.oos} not found (evaluation data lives outside the repo)")
        return 0
    threshold = fallback_threshold(args.config)
    rate, count, accepted = out_of_scope_false_acceptance(agent, args.oos, threshold)
    print(f"out-of-scope false acceptance: {rate:.3f} ({len(accepted)}/{count}, threshold {threshold})")
    banking = banking_acceptances(accepted)
    print(f"  of which a banking intent: {len(banking) / count:.3f} ({len(banking)}/{count})")
    for prediction in accepted[: args.show]:
        print(f"   {prediction.intent:<28} {prediction.confidence:.2f}  {prediction.text}")
    return 0


def _print_holdout(agent: Any, holdout: str, show: int) -> None:
    accuracy, errors = intent_accuracy(agent, holdout)
    print(f"holdout intent accuracy ({Path(holdout).name}): {accuracy:.3f} ({len(errors)} errors)")
    for error in errors[:show]:
        print("  ", error)


if __name__ == "__main__":
    sys.exit(main())
