"""One FAQ entry and the YAML file that holds them (the source of truth staff edit).

The intent classifier trains on this file; the staff tools in bot/faq validate, import and
export it. It lives in nlu/ so that the NLU needs nothing from bot/.
"""

from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SOURCE = REPO_ROOT / "bot" / "faq" / "faqs.yml"
VOICE_CHANNEL = "voice"  # the Rasa output channel of phone calls (voice/rasa_channel.py)
FIELDS = ("id", "category", "questions", "answer", "answer_voice", "enabled")

HEADER = """\
# Staff-owned FAQ: the source of truth for the assistant's common answers.
# Edit here or in a spreadsheet (make faq-export / faq-import), then: make faq-validate,
# make train, make faq-reload. Fields: id, category, questions (>= 5 phrasings as customers
# ask), answer (chat), answer_voice (optional, short, spoken: no links or symbols), enabled.
"""


def shown(path: Path) -> str:
    """A path as people read it: relative to the repository when inside it."""
    try:
        return str(path.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


class FaqFormatError(ValueError):
    """The file can't be read as FAQ entries at all (not YAML, not a list, ...)."""


@dataclass(frozen=True)
class Faq:
    id: str
    category: str
    questions: tuple[str, ...]
    answer: str
    answer_voice: str = ""
    enabled: bool = True
    origin: str = field(default="", compare=False)  # "file:line" or "file row N", for messages

    def as_dict(self) -> dict:
        entry: dict[str, object] = {
            "id": self.id,
            "category": self.category,
            "questions": list(self.questions),
            "answer": self.answer,
        }
        if self.answer_voice:
            entry["answer_voice"] = self.answer_voice
        entry["enabled"] = self.enabled
        return entry

    def answers(self) -> list[dict]:
        """The answer as Rasa response variants: chat, and the spoken one for the voice channel."""
        variants = [{"text": self.answer}]
        if self.answer_voice:
            variants.append({"text": self.answer_voice, "channel": VOICE_CHANNEL})
        return variants


def text_field(value) -> str:
    return "" if value is None else str(value).strip()


def from_mapping(raw: dict, origin: str) -> Faq:
    questions = raw.get("questions") or []
    if isinstance(questions, str):
        questions = questions.splitlines()
    enabled = raw.get("enabled", True)
    return Faq(
        id=text_field(raw.get("id")),
        category=text_field(raw.get("category")),
        questions=tuple(text_field(q) for q in questions if text_field(q)),
        answer=text_field(raw.get("answer")),
        answer_voice=text_field(raw.get("answer_voice")),
        enabled=enabled,
        origin=origin,
    )


def load(path: Path | None = None) -> list[Faq]:
    """Entries of a FAQ YAML file (default: the source), each knowing the line it starts on."""
    path = path or SOURCE
    text = path.read_text(encoding="utf-8")
    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FaqFormatError(f"{path}: not valid YAML: {error}") from error
    if data is None or node is None:
        return []
    if not isinstance(data, list) or not all(isinstance(item, dict) for item in data):
        raise FaqFormatError(f"{path}: expected a list of FAQ entries (id, category, questions, …)")
    lines = [item.start_mark.line + 1 for item in node.value]
    return [from_mapping(raw, f"{path}:{line}") for raw, line in zip(data, lines, strict=True)]


def dump(faqs: list[Faq], path: Path | None = None) -> None:
    path = path or SOURCE
    body = yaml.safe_dump([faq.as_dict() for faq in faqs], allow_unicode=True, sort_keys=False, width=1000)
    entries = body.replace("\n- id:", "\n\n- id:")
    path.write_text(HEADER + "\n" + entries, encoding="utf-8")
