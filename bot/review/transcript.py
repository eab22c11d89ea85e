"""A conversation as staff review it: who said what, what the bot understood, personal numbers masked."""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from bot.review.events import SYSTEM_VIA, channel_of, confidence_of, faq_of, intent_of, metadata_of
from bot.review.masking import mask
from bot.review.summary import ConversationSummary, build

_Said = TypedDict("_Said", {"from": str, "text": str, "ts": float, "via": str})


class Entry(_Said, total=False):
    """``from``: "customer" | "bot" | "agent"; ``via``: "chat" | "call". A customer message also has
    ``intent`` and ``confidence`` (and ``faq`` when a FAQ was chosen), on a call ``asr_confidence``
    when the recognizer gave one; ``input`` says how it was given ("dtmf" keys, "button" a button,
    else the gateway's via); an agent's message has ``agent`` (their name); ``paused``: written down
    while an agent held the conversation (the bot did not answer it)."""

    intent: str | None
    confidence: float
    faq: str
    asr_confidence: float
    input: str
    agent: str
    paused: bool


@dataclass(frozen=True)
class Transcript:
    sender_id: str
    summary: ConversationSummary
    entries: tuple[Entry, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"sender_id": self.sender_id, "summary": self.summary.as_dict(), "entries": list(self.entries)}


def transcript(events: Iterable[Mapping[str, Any]], sender_id: str = "") -> Transcript:
    events = list(events)
    return Transcript(sender_id=sender_id, summary=build(events, sender_id), entries=tuple(entries(events)))


def entries(events: Iterable[Mapping[str, Any]]) -> list[Entry]:
    """Messages oldest first; no system messages (the gateway's /greet) and no bot messages without words
    (the hand-off's payload for the desk). A bot or agent message goes by the channel of the customer
    message before it."""
    said: list[Entry] = []
    via = "chat"
    paused = False
    for event in events:
        kind = event.get("event")
        paused = True if kind == "pause" else False if kind == "resume" else paused
        if kind == "user":
            via = channel_of(event)
            if metadata_of(event).get("via") != SYSTEM_VIA:
                said.append(_customer_entry(event, via, paused))
        elif kind == "bot" and (event.get("text") or "").strip():
            agent = metadata_of(event).get("agent")
            entry = Entry(
                {
                    "from": "agent" if agent else "bot",
                    "text": mask(str(event.get("text"))),
                    "ts": _ts(event),
                    "via": via,
                }
            )
            if agent:
                entry["agent"] = str(agent)
            said.append(entry)
    return said


def _customer_entry(event: Mapping[str, Any], via: str, paused: bool) -> Entry:
    metadata = metadata_of(event)
    how = str(metadata.get("via") or "")
    text = str(metadata.get("shown_as") or event.get("text") or "")
    if how == "dtmf":
        text = "•" * len(text)
    entry = Entry({"from": "customer", "text": mask(text), "ts": _ts(event), "via": via})
    entry["intent"] = intent_of(event)
    entry["confidence"] = round(confidence_of(event), 4)
    if faq := faq_of(event):
        entry["faq"] = faq
    if via == "call" and isinstance(metadata.get("asr_confidence"), (int, float)):
        entry["asr_confidence"] = float(metadata["asr_confidence"])
    entry["input"] = "button" if metadata.get("shown_as") else how or "chat"
    if paused:
        entry["paused"] = True
    return entry


def _ts(event: Mapping[str, Any]) -> float:
    return float(event.get("timestamp") or 0.0)
