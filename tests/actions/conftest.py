"""Helpers for running Rasa SDK actions against a temporary bank database."""

import asyncio
from functools import cache
from pathlib import Path

import pytest
from rasa.shared.core.domain import Domain
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.db import session_scope
from actions.bank.services import identity
from bot.nlg import ChannelResponses

ZHANG_WEI_PHONE = "13800138000"

DOMAIN_FORMS = {
    "balance_form": ["phone", "otp_code"],
    "repay_form": ["phone", "otp_code", "product", "amount", "card_tail", "confirm"],
    "installment_form": ["phone", "otp_code", "product", "installment_count", "confirm"],
    "transfer_form": ["phone", "otp_code", "recipient", "amount", "card_tail", "confirm"],
    "card_loss_form": ["phone", "otp_code", "card_tail", "confirm"],
    "fraud_form": ["phone", "otp_code", "card_tail", "confirm"],
    "loan_form": ["phone", "otp_code", "amount", "term_months", "loan_purpose", "confirm"],
}


def make_tracker(
    slots=None,
    text="",
    intent="inform",
    entities=(),
    active_loop=None,
    events=None,
    sender_id="test-user",
    ranking=None,
) -> Tracker:
    latest = {
        "text": text,
        "intent": {"name": intent, "confidence": 0.9},
        "entities": list(entities),
        "intent_ranking": ranking or [],
    }
    return Tracker(
        sender_id,
        dict(slots or {}),
        latest,
        list(events or []),
        False,
        None,
        {"name": active_loop} if active_loop else {},
        "action_listen",
    )


def verified(customer_id: int = 1, **slots) -> dict:
    return {"verified": True, "customer_id": str(customer_id), **slots}


def run(action, tracker, domain=None):
    """Run an action; returns (texts, buttons, events)."""
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {"forms": {}}))
    messages = worded(dispatcher.messages)
    texts = [m.get("text") or "" for m in messages]
    buttons = [b for m in messages for b in m.get("buttons") or []]
    return texts, buttons, events


@cache
def bot_words() -> ChannelResponses:
    return ChannelResponses(domain=Domain.load(Path(__file__).parents[2] / "bot" / "domain"))


def worded(messages: list[dict], channel: str = "rest") -> list[dict]:
    """The dispatched messages as the customer sees them: responses filled in as Rasa would."""
    out = []
    for message in messages:
        message = dict(message)
        response = message.pop("response", None)
        if response:
            values = {k: v for k, v in message.items() if k not in ("text", "buttons") and v is not None}
            generated = bot_words().generate_from_slots(response, {}, channel, **values)
            assert generated is not None, f"the domain has no response {response}"
            message = {
                **message,
                **generated,
                "buttons": [*(generated.get("buttons") or []), *(message.get("buttons") or [])],
            }
        out.append(message)
    return out


def slot_events(events) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def domain_for(form: str) -> dict:
    return {"forms": {form: {"required_slots": DOMAIN_FORMS[form]}}, "slots": {}}


@pytest.fixture
def bank(bank_db_url):
    """The temporary database's URL, also used by the actions through BANK_DATABASE_URL."""
    return bank_db_url


@pytest.fixture
def issued_code(bank):
    """An OTP issued to 张伟 in the conversation ``test-user``."""
    with session_scope(bank) as session:
        return identity.issue_otp(session, ZHANG_WEI_PHONE, "test-user")


def texts_of(dispatcher: CollectingDispatcher, channel: str = "rest") -> list[str]:
    return [m.get("text") or "" for m in worded(dispatcher.messages, channel)]
