"""The one repayment rule: what a full, minimum or own-amount repayment takes."""

from decimal import Decimal

import pytest

from actions.bank.errors import InvalidAmount, InvalidInput, NothingToRepay, RepayExceedsOwed
from actions.bank.repayment import Debt, amount_or_mode, amount_to_repay

BILL = Debt(name="本期信用卡账单", owed=Decimal("8650.00"), due_now=Decimal("865.00"))


def test_full_is_everything_owed_and_minimum_is_this_periods_unpaid_part():
    assert amount_to_repay(BILL, mode="full") == Decimal("8650.00")
    assert amount_to_repay(BILL, mode="minimum") == Decimal("865.00")


@pytest.mark.parametrize("amount", ["8650", "8650.00", "865.00", "864.99", "0.01", "100.1"])
def test_an_own_amount_up_to_what_is_owed_is_taken_as_given(amount):
    """Below the minimum is a part payment, allowed; the bill just stays short of its minimum."""
    assert amount_to_repay(BILL, amount=amount) == Decimal(amount)


def test_more_than_is_owed_is_refused_naming_what_is_owed():
    with pytest.raises(RepayExceedsOwed) as caught:
        amount_to_repay(BILL, amount="8650.01")
    assert caught.value.code == "repay_exceeds_owed"
    assert caught.value.values["debt"] == "本期信用卡账单" and caught.value.values["owed"] == Decimal("8650.00")


@pytest.mark.parametrize("amount", ["0", "0.00", "-1", "100.001", "0.005", "abc", "", "10000000.01"])
def test_zero_negative_more_than_two_decimals_or_no_number_is_not_an_amount(amount):
    with pytest.raises(InvalidAmount):
        amount_to_repay(BILL, amount=amount)


def test_a_paid_minimum_leaves_only_an_own_amount_or_full():
    paid_minimum = Debt(name="本期白条账单", owed=Decimal("2808.72"), due_now=Decimal("0.00"))
    with pytest.raises(NothingToRepay) as caught:
        amount_to_repay(paid_minimum, mode="minimum")
    assert caught.value.code == "minimum_already_paid" and caught.value.values["owed"] == Decimal("2808.72")
    assert amount_to_repay(paid_minimum, mode="full") == Decimal("2808.72")
    assert amount_to_repay(paid_minimum, amount="100") == Decimal("100.00")


@pytest.mark.parametrize("request_", [{"mode": "full"}, {"mode": "minimum"}, {"amount": "1"}])
def test_nothing_owed_refuses_every_repayment(request_):
    paid = Debt(name="本期信用卡账单", owed=Decimal("0.00"), due_now=Decimal("0.00"))
    with pytest.raises(NothingToRepay) as caught:
        amount_to_repay(paid, **request_)
    assert caught.value.code == "nothing_to_repay" and caught.value.values == {"debt": "本期信用卡账单"}


@pytest.mark.parametrize("request_", [{}, {"amount": "100", "mode": "full"}])
def test_exactly_one_of_amount_and_mode(request_):
    with pytest.raises(InvalidInput) as caught:
        amount_to_repay(BILL, **request_)
    assert caught.value.code == "repay_amount_missing"


def test_an_unknown_mode_is_refused():
    with pytest.raises(InvalidInput) as caught:
        amount_to_repay(BILL, mode="half")
    assert caught.value.code == "invalid_repay_mode"


def test_a_slot_value_is_a_mode_or_an_amount():
    assert amount_or_mode("full") == {"mode": "full"}
    assert amount_or_mode("minimum") == {"mode": "minimum"}
    assert amount_or_mode("500.00") == {"amount": "500.00"}
