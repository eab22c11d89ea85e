"""Writes a small staff FAQ source file for the FAQ components' tests."""

from pathlib import Path

from nlu import faq_source
from nlu.faq_source import Faq


def write_faq_source(path: Path, faqs: dict[str, list[str]], voice: bool = False) -> Path:
    """`faqs`: "faq/<id>" -> phrasings; each answer reads "答案：faq/<id>"."""
    faq_source.dump(
        [
            Faq(key.split("/", 1)[1], "测试", tuple(questions), f"答案：{key}", f"语音：{key}" if voice else "")
            for key, questions in faqs.items()
        ],
        path,
    )
    return path
