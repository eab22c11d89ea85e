"""What one conversation was, from its Rasa events (``event.as_dict()`` as the SQL tracker store keeps them).

A conversation is one sender id: every event the tracker store holds for it, sessions included.
"""

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.review.events import (
    AGENT_ACTIONS,
    FALLBACK_INTENTS,
    LOW_CONFIDENCE,
    SUBMIT_ACTIONS,
    channel_of,
    confidence_of,
    faq_of,
    intent_of,
    is_customer_message,
)

CONTAINED, HANDED_OFF, CALLBACK = "contained", "handed_off", "callback"
OUTCOMES = (CONTAINED, HANDED_OFF, CALLBACK)
STARTED, SUBMITTED, CANCELLED = "started", "submitted", "cancelled"
FORM_STATES = (STARTED, SUBMITTED, CANCELLED)
CHANNELS = ("chat", "call")
CALLBACK_REGISTERED = "utter_callback_registered"
# what the customer says to steer, not what they came for
NOT_TASKS = frozenset({"affirm", "deny", "inform", "greet", "goodbye", "thank", "cancel", *FALLBACK_INTENTS})


@dataclass(frozen=True)
class ConversationSummary:
    sender_id: str
    channel: str  # "chat" | "call"
    started_at: float  # epoch seconds
    ended_at: float
    customer_turns: int
    intents: tuple[str, ...]
    faqs: tuple[str, ...]
    fallbacks: int
    low_confidence: int
    handed_off: bool
    agent: bool
    callback: bool
    forms: Mapping[str, str] = field(default_factory=dict)  # form → "started" | "submitted" | "cancelled"
    outcome: str = CONTAINED  # "contained" | "handed_off" | "callback"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (lists and a plain dict)."""
        data = asdict(self)
        data.update(intents=list(self.intents), faqs=list(self.faqs), forms=dict(self.forms))
        return data


def build(events: Iterable[Mapping[str, Any]], sender_id: str = "") -> ConversationSummary:
    """The summary of one conversation's events, oldest first. Customer messages written down while
    an agent held the conversation (paused) count as turns but not as understood by the bot."""
    events = list(events)
    timestamps = [float(event["timestamp"]) for event in events if event.get("timestamp") is not None]
    intents: list[str] = []
    faqs: list[str] = []
    turns = fallbacks = low_confidence = 0
    paused = agent = queued = callback = call = False
    for event in events:
        kind = event.get("event")
        paused = True if kind == "pause" else False if kind == "resume" else paused
        agent = agent or _is_agent_event(event)
        queued = queued or _is_handoff_message(event)
        callback = callback or _says(event, CALLBACK_REGISTERED)
        call = call or (kind == "user" and channel_of(event) == "call")
        if not is_customer_message(event):
            continue
        turns += 1
        if paused:
            continue
        intent = intent_of(event)
        if intent and intent not in NOT_TASKS and intent not in intents:
            intents.append(intent)
        faq = faq_of(event)
        if faq and faq not in faqs:
            faqs.append(faq)
        fallbacks += intent in FALLBACK_INTENTS
        low_confidence += confidence_of(event) < LOW_CONFIDENCE
    handed_off = queued or agent
    return ConversationSummary(
        sender_id=sender_id,
        channel="call" if call else "chat",
        started_at=min(timestamps, default=0.0),
        ended_at=max(timestamps, default=0.0),
        customer_turns=turns,
        intents=tuple(intents),
        faqs=tuple(faqs),
        fallbacks=fallbacks,
        low_confidence=low_confidence,
        handed_off=handed_off,
        agent=agent,
        callback=callback,
        forms=form_outcomes(events),
        outcome=HANDED_OFF if handed_off else CALLBACK if callback else CONTAINED,
    )


def form_outcomes(events: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """Each form's last run: started (still open or the conversation stopped there), submitted
    (its submit action ran after it completed) or cancelled (deactivated without that)."""
    outcomes: dict[str, str] = {}
    active: str | None = None
    closed: str | None = None  # deactivated, its submit action may follow
    for event in events:
        kind = event.get("event")
        if kind == "active_loop":
            if closed:
                outcomes[closed] = CANCELLED
                closed = None
            name = event.get("name")
            if name:
                active = str(name)
                outcomes[active] = STARTED
            elif active:
                closed, active = active, None
        elif kind == "action" and closed and event.get("name") == SUBMIT_ACTIONS.get(closed):
            outcomes[closed] = SUBMITTED
            closed = None
        elif kind == "user" and closed:
            outcomes[closed] = CANCELLED
            closed = None
    if closed:
        outcomes[closed] = CANCELLED
    return outcomes


def _is_agent_event(event: Mapping[str, Any]) -> bool:
    kind = event.get("event")
    if kind == "pause":
        return True
    if kind == "bot":
        return bool((event.get("metadata") or {}).get("agent"))
    return kind == "action" and event.get("name") in AGENT_ACTIONS


def _is_handoff_message(event: Mapping[str, Any]) -> bool:
    if event.get("event") != "bot":
        return False
    custom = (event.get("data") or {}).get("custom")
    return isinstance(custom, Mapping) and bool(custom.get("handoff"))


def _says(event: Mapping[str, Any], response: str) -> bool:
    return event.get("event") == "bot" and (event.get("metadata") or {}).get("utter_action") == response
