"""Rasa training data generated from the FAQ source: never edit the generated files.

bot/data/nlu/faq.yml     retrieval intent faq/<id> with the phrasings (enabled FAQs only)
bot/domain/faq.yml       responses utter_faq/<id>: the chat answer, and the voice answer
                         for the "voice" output channel when there is one
"""

from pathlib import Path

import yaml

from bot.faq import entries
from bot.faq.entries import REPO_ROOT, Faq

NLU_FILE = REPO_ROOT / "bot" / "data" / "nlu" / "faq.yml"
DOMAIN_FILE = REPO_ROOT / "bot" / "domain" / "faq.yml"
VOICE_CHANNEL = "voice"


def banner(source: Path | None) -> str:
    return (f"# GENERATED from {entries.shown(source or entries.SOURCE)} by `make faq-generate` (faq-import and train run it too).\n"
            "# Do not edit: change the FAQ source instead.\n")


class _LiteralDumper(yaml.SafeDumper):
    """Writes multi-line strings as `|` blocks, the way Rasa data is written by hand."""


def _represent_str(dumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_LiteralDumper.add_representer(str, _represent_str)


def dump_yaml(data: dict) -> str:
    return yaml.dump(data, Dumper=_LiteralDumper, allow_unicode=True, sort_keys=False, width=1000)


def nlu_yaml(faqs: list[Faq], source: Path | None = None) -> str:
    items = []
    for faq in faqs:
        if faq.enabled:
            examples = "".join(f"- {q}\n" for q in faq.questions)
            items.append({"intent": f"faq/{faq.id}", "examples": examples})
    return banner(source) + dump_yaml({"version": "3.1", "nlu": items})


def domain_yaml(faqs: list[Faq], source: Path | None = None) -> str:
    responses = {}
    for faq in faqs:
        if faq.enabled:
            variants = [{"text": faq.answer}]
            if faq.answer_voice:
                variants.append({"text": faq.answer_voice, "channel": VOICE_CHANNEL})
            responses[f"utter_faq/{faq.id}"] = variants
    return banner(source) + dump_yaml({"version": "3.1", "intents": ["faq"], "responses": responses})


def write(faqs: list[Faq]) -> None:
    NLU_FILE.write_text(nlu_yaml(faqs), encoding="utf-8")
    DOMAIN_FILE.write_text(domain_yaml(faqs), encoding="utf-8")


def is_current(faqs: list[Faq]) -> bool:
    return (NLU_FILE.read_text(encoding="utf-8") == nlu_yaml(faqs)
            and DOMAIN_FILE.read_text(encoding="utf-8") == domain_yaml(faqs))
