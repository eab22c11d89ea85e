"""Money parsing and formatting, plus masking of card and phone numbers."""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from actions.bank.errors import InvalidAmount, InvalidInput

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("10000000.00")

_PHONE = re.compile(r"^1\d{10}$")
_CARD_TAIL = re.compile(r"^\d{4}$")
_LONG_DIGITS = re.compile(r"\d{7,}")


def to_decimal(value) -> Decimal:
    """Parse ``"1,234.50"``, ``"¥15000"``, ``15000`` or a Decimal; raise InvalidAmount otherwise."""
    if isinstance(value, bool) or value is None:
        raise InvalidAmount()
    if isinstance(value, Decimal):
        number = value
    else:
        text = str(value).strip().replace(",", "").replace("，", "")
        text = text.lstrip("¥￥").removesuffix("元")
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise InvalidAmount() from None
    if not number.is_finite():
        raise InvalidAmount()
    return number


def cents(value: Decimal) -> Decimal:
    """Round to cents, half up (the rounding used for every fee and split)."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(value) -> Decimal:
    """A customer-supplied amount: positive, at most ¥10,000,000, at most two decimals."""
    number = to_decimal(value)
    if number <= 0 or number > MAX_AMOUNT or number != cents(number):
        raise InvalidAmount()
    return cents(number)


def card_tail(number: str) -> str:
    return str(number)[-4:]


def mask_card(number: str) -> str:
    """``"6217000000001234"`` → ``"尾号1234"``."""
    return f"尾号{card_tail(number)}"


def mask_phone(phone: str) -> str:
    """``"13812345678"`` → ``"138****5678"``."""
    phone = str(phone)
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def scrub_digits(text: str) -> str:
    """Mask any run of 7+ digits (card, phone or ID numbers) in free text, keeping the last 4."""
    return _LONG_DIGITS.sub(lambda m: "*" * (len(m.group()) - 4) + m.group()[-4:], text)


def normalize_phone(phone) -> str:
    digits = re.sub(r"[\s-]", "", str(phone or ""))
    digits = digits.removeprefix("+86")
    if not _PHONE.match(digits):
        raise InvalidInput("invalid_phone")
    return digits


def normalize_card_tail(tail) -> str:
    tail = str(tail or "").strip()
    if not _CARD_TAIL.match(tail):
        raise InvalidInput("invalid_card_tail")
    return tail
