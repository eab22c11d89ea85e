"""The repay form asks the bank's own repayment rule (actions.bank.repayment) before confirming."""

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.db import session_scope
from actions.bank.errors import BankError
from actions.bank.services import credit
from actions.common import tell_error
from actions.repay import ValidateRepayForm
from tests.actions.conftest import make_tracker, texts_of, verified


def validate_amount(value, **slots):
    dispatcher = CollectingDispatcher()
    result = ValidateRepayForm().validate_amount(value, dispatcher, make_tracker(verified(**slots)), {})
    return result, texts_of(dispatcher)


def bank_refusal(url, **request) -> list[str]:
    """What the customer is told when the bank itself refuses the repayment."""
    with session_scope(url) as session, pytest.raises(BankError) as caught:
        credit.repay(session, 1, "credit_card", source_card_tail="1234", sender_id="s", **request)
    dispatcher = CollectingDispatcher()
    tell_error(dispatcher, caught.value)
    return texts_of(dispatcher)


@pytest.mark.parametrize("value", ["8650.00", "865.00", "100.00", "full", "minimum"])
def test_what_the_bank_would_take_is_accepted(bank, value):
    assert validate_amount(value, product="credit_card", card_tail="1234") == ({"amount": value}, [])


@pytest.mark.parametrize("value", ["8650.01", "0", "100.001"])
def test_what_the_bank_would_refuse_is_refused_in_the_banks_words(bank, value):
    result, texts = validate_amount(value, product="credit_card", card_tail="1234")
    assert result == {"amount": None}
    assert texts == bank_refusal(bank, amount=value)


def test_the_minimum_once_paid_is_refused_before_the_confirmation(bank):
    with session_scope(bank) as session:
        credit.repay(session, 1, "baitiao", mode="minimum", source_card_tail="1234", sender_id="s")
    result, texts = validate_amount("minimum", product="baitiao", card_tail="1234")
    assert result == {"amount": None}
    assert "最低还款额已经还上了" in texts[0] and "¥2,808.72" in texts[0]
    assert validate_amount("2808.72", product="baitiao", card_tail="1234")[0] == {"amount": "2808.72"}


def test_before_the_product_is_known_only_the_number_is_checked(bank):
    assert validate_amount("9000.00") == ({"amount": "9000.00"}, [])
    result, texts = validate_amount("0")
    assert result == {"amount": None} and "金额" in texts[0]


def test_a_new_product_rechecks_the_amount_already_given(bank):
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(verified(amount="5000.00"))
    result = ValidateRepayForm().validate_product("baitiao", dispatcher, tracker, {})
    assert result == {"product": "baitiao", "amount": None}
    assert "¥3,120.80" in texts_of(dispatcher)[0]
