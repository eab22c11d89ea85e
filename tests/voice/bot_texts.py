"""Everything the bot may say from data: domain responses and FAQ answers (chat and spoken)."""

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def domain_and_faq_texts() -> list[str]:
    texts = []
    for path in sorted((REPO / "bot" / "domain").glob("*.yml")):
        for variants in (yaml.safe_load(path.read_text(encoding="utf-8")).get("responses") or {}).values():
            texts += [v["text"] for v in variants if "text" in v]
    for faq in yaml.safe_load((REPO / "bot" / "faq" / "faqs.yml").read_text(encoding="utf-8")):
        texts += [faq[field] for field in ("answer", "answer_voice") if faq.get(field)]
    return texts
