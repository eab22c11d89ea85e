"""What the bot failed: customer messages it did not understand, understood only weakly, or whose answer
did not help, found from the events of Rasa's tracker store (never from the bot's wording).

A customer message (typed or said; not a button, not keys pressed, not the gateway's /greet, not
written down while an agent held the conversation, not a text without a single letter, digit or
character such as "？" or an emoji) failed for one or more of these reasons:

``fallback`` (未理解)
    The bot's fallback answered it: one of ``FALLBACK_ACTIONS`` ran before the next customer message
    (actions/fallback.py: ``action_clarify`` for nlu_fallback, ``action_cannot_handle`` for
    out_of_scope, Rasa's ``action_default_fallback``, the rule's ``utter_out_of_scope`` inside a
    form); or it was understood as nlu_fallback/out_of_scope and no open form took it.
``low_confidence`` (低置信度)
    Not a fallback, and the top intent's confidence was below ``LOW_CONFIDENCE`` (0.6; the
    FallbackClassifier's threshold, 0.4, is below it).
``rephrased`` (客户换了说法)
    The customer's next message N is a fresh attempt, and either the bot did not get this message
    (it fell back or had low confidence) — the customer tried again — or N says nearly the same
    (character-bigram Dice similarity ≥ ``SAME_WORDS``) but was understood as another intent or FAQ
    (the answer to this one was for the wrong thing). ``rephrased_as`` keeps N (masked) and what it
    was understood as: often the best hint at what this message meant. "Next": no other customer
    message between, the same session, within ``FOLLOW_UP_SECONDS``, typed or said (not a button).
    "A fresh attempt": not a steering intent (``NOT_ATTEMPTS``: yes, no, a value, thanks, bye,
    hello, cancel, a complaint), not a request for a person, and not an answer an open form took.
``asked_for_human`` (要求转人工)
    The customer's next message was understood as request_human, and this one was not itself a
    steering message, a complaint or a request for a person (unless the bot missed it).

Not reported at all: a message the fallback read as the yes or no to an offer the bot had just made
(the fallback action is followed at once by that offer's answer, ``OFFER_ANSWERS``): the customer was
understood.

A message an open form took as its answer (the form's action ran next) is not reported as a fallback
or for low confidence: a form reads values (phone numbers and amounts, often said on a call), not
intents, and most such messages are understood as inform, nlu_fallback or out_of_scope.

Every text leaves this module masked (bot/review/masking.py); the original is kept on the object
only to be assigned as a phrasing, and only when masking did not change it (``personal`` is False).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.review.events import (
    FALLBACK_INTENTS,
    LOW_CONFIDENCE,
    SYSTEM_VIA,
    channel_of,
    confidence_of,
    faq_of,
    intent_of,
    metadata_of,
)
from bot.review.masking import mask
from bot.review.store import ConversationStore

FALLBACK, LOW, REPHRASED, HUMAN = "fallback", "low_confidence", "rephrased", "asked_for_human"
REASONS = (FALLBACK, LOW, REPHRASED, HUMAN)
# Copies of actions/fallback.py (bot may not import actions; tests/bot/review/test_failures.py checks
# that they agree): the fallback's actions, and what it runs when it reads a yes or no to an offer.
FALLBACK_ACTIONS = frozenset(
    {"action_clarify", "action_cannot_handle", "action_default_fallback", "utter_out_of_scope"}
)
OFFER_ANSWERS = frozenset(
    {
        "action_handoff",
        "action_decline_handoff",
        "action_resume_task",
        "action_drop_task",
        "action_register_callback",
        "action_decline_callback",
    }
)
REQUEST_HUMAN = "request_human"
STEERING = frozenset({"affirm", "deny", "inform", "thank", "goodbye", "greet", "cancel"})
NOT_ATTEMPTS = STEERING | {"complain"}  # a follow-up that is not another way of asking
FOLLOW_UP_SECONDS = 120.0
DAY = 86400.0
SAME_WORDS = 0.5
_NOT_WORDS = re.compile(r"[\W_]+", re.UNICODE)
_KEY = re.compile(r"(?P<sender>.+)@(?P<ts>\d+\.\d{6})#(?P<digest>[0-9a-f]{10})")


@dataclass(frozen=True)
class FailedMessage:
    key: str  # "<conversation id>@<event time, 6 places>#<hash of the text>": stable, names one message
    conversation_id: str
    at: float  # epoch seconds
    channel: str  # "chat" | "call"
    text: str  # masked
    reasons: tuple[str, ...]  # in the order of REASONS
    intent: str | None
    confidence: float
    faq: str | None = None
    asr_confidence: float | None = None
    rephrased_as: Mapping[str, Any] | None = None  # {"text" (masked), "intent", "confidence", "faq"?}
    original: str = field(default="", repr=False, compare=False)  # never sent to a page

    @property
    def personal(self) -> bool:
        """Masking changed the text: it holds a card, phone or ID number or a one-time code."""
        return self.text != self.original

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "key": self.key,
            "conversation_id": self.conversation_id,
            "at": self.at,
            "channel": self.channel,
            "text": self.text,
            "reasons": list(self.reasons),
            "intent": self.intent,
            "confidence": round(self.confidence, 4),
            "personal": self.personal,
        }
        if self.faq:
            data["faq"] = self.faq
        if self.asr_confidence is not None:
            data["asr_confidence"] = self.asr_confidence
        if self.rephrased_as is not None:
            data["rephrased_as"] = dict(self.rephrased_as)
        return data


def message_key(conversation_id: str, timestamp: float, text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]
    return f"{conversation_id}@{timestamp:.6f}#{digest}"


def conversation_of_key(key: str) -> str | None:
    """The conversation a key names, or None when it is not a key."""
    found = _KEY.fullmatch(key)
    return found.group("sender") if found else None


@dataclass
class _Said:
    """One customer message and what followed it, up to the next customer message."""

    event: Mapping[str, Any]
    index: int  # in the conversation's customer messages
    form: str | None  # the form open when it came
    session: int
    paused: bool
    actions: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return str(self.event.get("text") or "")

    @property
    def at(self) -> float:
        return float(self.event.get("timestamp") or 0.0)

    @property
    def intent(self) -> str | None:
        return intent_of(self.event)

    @property
    def taken_by_form(self) -> bool:
        """A form was open and took it as its answer (the form's own action ran next)."""
        return self.form is not None and self.actions[:1] == [self.form]

    @property
    def answered_offer(self) -> bool:
        """The fallback read it as the yes or no to the bot's offer and ran that answer at once."""
        first, second = (self.actions + ["", ""])[:2]
        return first in FALLBACK_ACTIONS and second in OFFER_ANSWERS

    @property
    def typed(self) -> bool:
        """Typed or said by the customer: not a button, keys, the gateway's own message or a /command."""
        metadata = metadata_of(self.event)
        return (
            metadata.get("via") not in (SYSTEM_VIA, "dtmf")
            and not metadata.get("shown_as")
            and not self.text.strip().startswith("/")
            and any(character.isalnum() for character in self.text)
        )


def detect(events: Iterable[Mapping[str, Any]], conversation_id: str) -> list[FailedMessage]:
    """The failed customer messages of one conversation's events (oldest first), oldest first."""
    said = _customer_messages(events)
    failed = []
    for position, message in enumerate(said):
        if message.paused or not message.typed:
            continue
        nxt = said[position + 1] if position + 1 < len(said) else None
        follow = nxt if nxt is not None and _follows(message, nxt) else None
        reasons = _reasons(message, follow)
        if not reasons:
            continue
        metadata = metadata_of(message.event)
        asr = metadata.get("asr_confidence")
        failed.append(
            FailedMessage(
                key=message_key(conversation_id, message.at, message.text),
                conversation_id=conversation_id,
                at=message.at,
                channel=channel_of(message.event),
                text=mask(message.text),
                reasons=reasons,
                intent=message.intent,
                confidence=confidence_of(message.event),
                faq=faq_of(message.event),
                asr_confidence=float(asr)
                if isinstance(asr, (int, float)) and channel_of(message.event) == "call"
                else None,
                rephrased_as=_understood(follow) if follow is not None and REPHRASED in reasons else None,
                original=message.text,
            )
        )
    return failed


def detect_all(conversations: Iterable[tuple[str, Sequence[Mapping[str, Any]]]]) -> list[FailedMessage]:
    """Every conversation's failed messages, newest first (ties by key)."""
    found = [failed for sender, events in conversations for failed in detect(events, sender)]
    return sorted(found, key=lambda failed: (-failed.at, failed.key))


def _customer_messages(events: Iterable[Mapping[str, Any]]) -> list[_Said]:
    said: list[_Said] = []
    form: str | None = None
    session = 0
    paused = False
    for event in events:
        kind = event.get("event")
        if kind == "session_started":
            session += 1
            form = None
        elif kind == "pause":
            paused = True
        elif kind == "resume":
            paused = False
        elif kind == "active_loop":
            form = str(event["name"]) if event.get("name") else None
        elif kind == "action" and said and event.get("name") != "action_listen":
            said[-1].actions.append(str(event.get("name")))
        elif kind == "user" and metadata_of(event).get("via") != SYSTEM_VIA:
            said.append(_Said(event, len(said), form, session, paused))
    return said


def _follows(message: _Said, nxt: _Said) -> bool:
    """``nxt`` came soon after ``message``, in the same session, from the customer themselves."""
    return (
        nxt.session == message.session
        and not nxt.paused
        and nxt.typed
        and 0 <= nxt.at - message.at <= FOLLOW_UP_SECONDS
    )


def _fell_back(message: _Said) -> bool:
    if any(action in FALLBACK_ACTIONS for action in message.actions):
        return True
    return message.intent in FALLBACK_INTENTS and not message.taken_by_form


def _reasons(message: _Said, follow: _Said | None) -> tuple[str, ...]:
    reasons: list[str] = []
    if message.answered_offer:
        return ()
    if _fell_back(message):
        reasons.append(FALLBACK)
    elif confidence_of(message.event) < LOW_CONFIDENCE and not message.taken_by_form:
        reasons.append(LOW)
    missed = bool(reasons)
    steering = message.intent in NOT_ATTEMPTS or message.intent == REQUEST_HUMAN
    if follow is not None and (missed or not steering):
        if follow.intent == REQUEST_HUMAN:
            reasons.append(HUMAN)
        elif follow.intent not in NOT_ATTEMPTS and not follow.taken_by_form and (missed or _restated(message, follow)):
            reasons.append(REPHRASED)
    return tuple(reason for reason in REASONS if reason in reasons)


def _restated(message: _Said, follow: _Said) -> bool:
    """The follow-up says nearly the same words but was taken for another intent or FAQ."""
    return dice(message.text, follow.text) >= SAME_WORDS and _understood_as(follow) != _understood_as(message)


def _understood_as(message: _Said) -> tuple[str | None, str | None]:
    return message.intent, faq_of(message.event)


def _understood(message: _Said) -> dict[str, Any]:
    found: dict[str, Any] = {
        "text": mask(message.text),
        "intent": message.intent,
        "confidence": round(confidence_of(message.event), 4),
    }
    if faq := faq_of(message.event):
        found["faq"] = faq
    return found


def dice(first: str, second: str) -> float:
    """Dice similarity of the two texts' character bigrams (single characters for one-character texts),
    ignoring spaces and punctuation."""
    a, b = _bigrams(first), _bigrams(second)
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def _bigrams(text: str) -> set[str]:
    plain = _NOT_WORDS.sub("", text.lower())
    return {plain[i : i + 2] for i in range(len(plain) - 1)} if len(plain) > 1 else set(plain)


def find(store: ConversationStore, since: float | None = None, until: float | None = None) -> list[FailedMessage]:
    """The failed messages said in [since, until) (epoch seconds; None: unbounded), newest first.
    Conversations are read from a day before ``since``: one can run past midnight."""
    start = since - DAY if since is not None else None
    found = detect_all(store.conversations(start, until))
    return [
        failed for failed in found if (since is None or failed.at >= since) and (until is None or failed.at < until)
    ]


def in_conversation(store: ConversationStore, conversation_id: str) -> list[FailedMessage]:
    """One conversation's failed messages, oldest first."""
    return detect(store.events(conversation_id), conversation_id)
