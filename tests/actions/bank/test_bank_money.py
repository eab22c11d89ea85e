from decimal import Decimal

import pytest

from actions.bank.errors import InvalidAmount, InvalidInput
from actions.bank.money import (
    mask_card,
    mask_phone,
    normalize_card_tail,
    normalize_phone,
    parse_amount,
    scrub_digits,
    to_decimal,
)


def test_masking():
    assert mask_card("6217000010001234") == "尾号1234"
    assert mask_phone("13812345678") == "138****5678"
    assert (
        scrub_digits("卡号6217000010001234，手机13812345678，金额500元")
        == "卡号************1234，手机*******5678，金额500元"
    )


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("15000.00", Decimal("15000.00")),
        ("1,234.5", Decimal("1234.50")),
        ("¥800", Decimal("800.00")),
        (3000, Decimal("3000.00")),
        (Decimal("0.01"), Decimal("0.01")),
        ("10000000", Decimal("10000000.00")),
    ],
)
def test_parse_amount_accepts(raw, expected):
    value = parse_amount(raw)
    assert value == expected and str(value) == str(expected)


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "", None, True, "10000000.01", "1.001", "NaN", "Infinity"])
def test_parse_amount_rejects(raw):
    with pytest.raises(InvalidAmount) as caught:
        parse_amount(raw)
    assert caught.value.code == "invalid_amount"


def test_to_decimal_keeps_sign_and_digits():
    assert to_decimal("-12.345") == Decimal("-12.345")


def test_phone_and_tail_normalisation():
    assert normalize_phone("+86 138 1234 5678") == "13812345678"
    assert normalize_card_tail(" 1234 ") == "1234"
    for bad in ("12345", "2381234567", "abc"):
        with pytest.raises(InvalidInput):
            normalize_phone(bad)
    for bad in ("123", "12a4", None):
        with pytest.raises(InvalidInput):
            normalize_card_tail(bad)
