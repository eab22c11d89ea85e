"""Helpers shared by the Rasa actions: database access, slot handling, buttons."""

import logging
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from typing import Any, Iterator

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.bank import db
from actions.bank.errors import BankError

logger = logging.getLogger(__name__)

# Slots that describe one request; they are cleared when the request ends so the
# next request starts clean (verification slots stay for the session).
REQUEST_SLOTS = (
    "amount",
    "product",
    "card_tail",
    "recipient",
    "installment_count",
    "term_months",
    "loan_purpose",
    "date",
    "date_range",
    "account_type",
    "confirm",
    "aborted",
)

_initialised: set[str] = set()


def bank_url() -> str:
    """The bank database; missing tables are created on first use, but never any customers: demo
    customers are written only by setup (`python -m actions.bank init`), into the demo database."""
    url = db.database_url()
    if url not in _initialised:
        db.init_db(url, seed=False)
        _initialised.add(url)
    return url


@contextmanager
def bank_session() -> Iterator[Any]:
    """A database session: one transaction, committed if the block succeeds."""
    with db.session_scope(bank_url()) as session:
        yield session


def customer_id(tracker: Tracker) -> int | None:
    """The verified customer of this conversation, or None."""
    if not tracker.get_slot("verified"):
        return None
    value = tracker.get_slot("customer_id")
    return int(value) if value else None


def clear_request_slots() -> list[SlotSet]:
    return [SlotSet(name, None) for name in REQUEST_SLOTS]


def latest_user_index(events: list[dict[str, Any]]) -> int:
    """Where the customer's latest message is among ``events`` (``len(events)`` if there is none)."""
    return max((i for i, e in enumerate(events) if e.get("event") == "user"), default=len(events))


def slots_before_latest_message(tracker: Tracker) -> dict[str, Any]:
    """Slot values as they were when the customer's latest message arrived."""
    events = tracker.events
    last_user = latest_user_index(events)
    values: dict[str, Any] = {}
    for event in events[:last_user]:
        if event.get("event") == "slot":
            values[event["name"]] = event.get("value")
        elif event.get("event") in ("restart", "session_started"):
            values = {}
    return values


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def active_form(tracker: Tracker) -> str | None:
    return tracker.active_loop_name


def button(title: str, payload: str) -> dict[str, str]:
    return {"title": title, "payload": payload}


# Dates the customer hears with their year (交易记录从2026年1月5日开始); others as 12月5日.
DATES_WITH_YEAR = {"earliest"}


def tell_error(dispatcher: CollectingDispatcher, error: BankError) -> None:
    """Tell the customer why the bank refused, in the words of the error's domain response."""
    dispatcher.utter_message(response=f"utter_bank_{error.code}", **error_values(error))


def error_values(error: BankError) -> dict[str, Any]:
    """The error's facts as typed values, for each channel to word its own way."""
    return {name: _typed(name, value) for name, value in error.values.items()}


def _typed(name: str, value: Any) -> Any:
    if isinstance(value, Decimal):
        return typed.money(value)
    if isinstance(value, date):
        return typed.full_date(value) if name in DATES_WITH_YEAR else typed.day(value)
    if isinstance(value, (list, tuple)):
        return "、".join(str(item) for item in value)
    if name.endswith(("tail", "number")):
        return typed.digits(value)
    return value
