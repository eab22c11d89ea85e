"""Typed values for domain responses: each channel words them itself (nlu/value_wording.py).

    dispatcher.utter_message(response="utter_bill_due", amount=money(bill.remaining), due=day(bill.due_date))

A chat shows ¥8,650.00 and 12月5日; a call says 八千六百五十元 and 十二月五日.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from actions.bank.money import cents, mask_phone


def money(amount: Decimal | str) -> dict[str, str]:
    return {"money": str(cents(Decimal(amount)))}


def digits(text: str) -> dict[str, str]:
    """A card tail, code or reference read digit by digit."""
    return {"digits": str(text)}


def phone(number: str) -> dict[str, str]:
    """A phone number, masked before it leaves the action server."""
    return {"phone": mask_phone(number)}


def day(value: date) -> dict[str, str]:
    """Month and day (还款日12月5日)."""
    return {"day": value.isoformat()}


def full_date(value: date) -> dict[str, str]:
    """Year, month and day (2026年12月5日)."""
    return {"date": value.isoformat()}


Reply = dict[str, Any]  # a response and its values, as dispatcher.utter_message(**reply) takes them


def line(response: str, **values: Any) -> Reply:
    """A reply: ``dispatcher.utter_message(**line("utter_…", amount=money(x)))``, or one line of ``lines``."""
    return {"response": response, **values}


def lines(items: list[Reply], joined_by: str = "\n") -> dict[str, Any]:
    """One line per item, each a response of its own (see ``line``)."""
    return {"lines": items, "joined_by": joined_by}
