"""Rasa's examples of the `faq` intent, as a snapshot of the FAQ source's phrasings.

The staff FAQ source itself (phrasings and answers) is read by the intent classifier at
training time (nlu/intent_classifier.py), not through Rasa's training data: Rasa's cache
keys every component and the dialogue policies on all of that data, so a staff edit there
would retrain them all. This snapshot, bot/data/nlu/faq.yml, gives the domain's `faq`
intent its examples in Rasa's data (its validation requires them); the classifier learns
the FAQs from the source instead. Staff edits don't change it; engineers refresh it with
`make faq-snapshot` when the FAQ has grown, accepting a full retrain.
"""

from pathlib import Path

import yaml

from nlu import faq_source
from nlu.faq_source import REPO_ROOT, Faq

NLU_FILE = REPO_ROOT / "bot" / "data" / "nlu" / "faq.yml"
INTENT = "faq"


def banner(source: Path | None) -> str:
    return (
        f"# GENERATED from {faq_source.shown(source or faq_source.SOURCE)} by `make faq-snapshot`. Do not edit.\n"
        "# Rasa's examples of asking a common question; staff edits to the FAQ don't change this file\n"
        "# (bot/faq/rasa_data.py says why).\n"
    )


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, the way Rasa data is written by hand."""


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _represent_str)


def dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=1000)


def nlu_yaml(faqs: list[Faq], source: Path | None = None) -> str:
    """Every enabled FAQ's phrasings as examples of the one intent `faq`."""
    examples = "".join(f"- {q}\n" for faq in faqs if faq.enabled for q in faq.questions)
    return banner(source) + dump_yaml({"version": "3.1", "nlu": [{"intent": INTENT, "examples": examples}]})


def write_snapshot(faqs: list[Faq]) -> None:
    NLU_FILE.write_text(nlu_yaml(faqs), encoding="utf-8")
