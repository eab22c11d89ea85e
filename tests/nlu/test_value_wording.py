"""nlu.value_wording: typed values written for a screen and said for a call."""

from decimal import Decimal

import pytest

from nlu.value_wording import said_money, value_type, worded, written_money


@pytest.mark.parametrize(
    "value, written, said",
    [
        ({"money": "8650.00"}, "¥8,650.00", "八千六百五十元"),
        ({"money": "1200.05"}, "¥1,200.05", "一千二百元零五分"),
        ({"money": "20000"}, "¥20,000.00", "两万元"),
        ({"money": "0"}, "¥0.00", "零元"),
        ({"money": "-3.5"}, "-¥3.50", "负三元五角"),
        ({"digits": "1234"}, "1234", "幺二三四"),
        ({"phone": "138****5678"}, "138****5678", "尾号五六七八的手机"),
        ({"day": "2026-12-05"}, "12月5日", "十二月五日"),
        ({"date": "2026-12-05"}, "2026年12月5日", "二零二六年十二月五日"),
    ],
)
def test_each_type_written_and_said(value, written, said):
    assert worded(value, said=False) == written
    assert worded(value, said=True) == said


@pytest.mark.parametrize("plain", ["李娜", 12, {"money": "1", "extra": "x"}, {"unknown": "1"}, None])
def test_plain_values_pass_through(plain):
    assert value_type(plain) is None
    assert worded(plain, said=True) == plain


def test_two_before_big_units_is_liang():
    assert said_money("2000") == "两千元" and said_money("22000") == "两万二千元" and said_money("2") == "两元"


@pytest.mark.parametrize(
    "amount, text",
    [
        (Decimal("1234.5"), "¥1,234.50"),
        (Decimal("0"), "¥0.00"),
        (Decimal("52340.50"), "¥52,340.50"),
        (Decimal("1000000"), "¥1,000,000.00"),
        (Decimal("-8650"), "-¥8,650.00"),
        (Decimal("0.005"), "¥0.01"),
    ],
)
def test_written_money(amount, text):
    assert written_money(str(amount)) == text
