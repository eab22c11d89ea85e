from decimal import Decimal

import pytest

from actions.bank.errors import InvalidAmount, InvalidInput, NotAllowed, NothingToRepay, RepayExceedsOwed
from actions.bank.services import audit
from actions.bank.services.loans import apply_loan, loan_applications, loans, repay_loan


def test_existing_loan(session, zhang, wang):
    [loan] = loans(session, zhang)
    assert loan.product == "jintiao" and loan.outstanding == Decimal("22500.00")
    assert loan.annual_rate == Decimal("0.108000")
    assert loans(session, wang) == ()


def test_apply_loan(session, wang):
    app = apply_loan(session, wang, "50000", "12", "装修", "web-9")
    assert app.status == "审核中" and app.number.startswith("LA") and app.amount == Decimal("50000.00")
    assert loan_applications(session, wang) == (app,)
    [entry] = audit.entries(session, wang, "apply_loan")
    assert entry[2] == "web-9" and entry[4]["amount"] == "50000.00" and entry[4]["number"] == app.number
    with pytest.raises(NotAllowed) as caught:
        apply_loan(session, wang, "1000", 3, "旅游", "web-9")
    assert caught.value.code == "application_pending" and caught.value.values == {"number": app.number}


@pytest.mark.parametrize("amount", ["999.99", "200000.01", "0", "-5000", "1e9"])
def test_apply_loan_amount_range(session, wang, amount):
    with pytest.raises(InvalidAmount):
        apply_loan(session, wang, amount, 12, "装修", "s")


@pytest.mark.parametrize("term, purpose", [(7, "装修"), (None, "装修"), (12, "炒股"), (12, None)])
def test_apply_loan_term_and_purpose(session, wang, term, purpose):
    with pytest.raises(InvalidInput):
        apply_loan(session, wang, "10000", term, purpose, "s")
    assert loan_applications(session, wang) == ()


def test_a_loan_is_repaid_by_the_same_rule_as_a_bill(session, zhang):
    assert repay_loan(session, zhang, mode="minimum", sender_id="s").amount == Decimal("2702.50")
    with pytest.raises(NothingToRepay) as caught:
        repay_loan(session, zhang, mode="minimum", sender_id="s")
    assert caught.value.code == "minimum_already_paid" and caught.value.values["owed"] == Decimal("19797.50")
    with pytest.raises(RepayExceedsOwed) as caught:
        repay_loan(session, zhang, amount="19797.51", sender_id="s")
    assert caught.value.values["debt"] == "金条借款" and caught.value.values["owed"] == Decimal("19797.50")
    assert repay_loan(session, zhang, amount="19797.50", sender_id="s").status == "closed"
