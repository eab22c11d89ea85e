from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from actions.bank.errors import (
    CardFrozen,
    InsufficientFunds,
    InvalidAmount,
    InvalidInput,
    NotAllowed,
    NothingToRepay,
    ProductNotFound,
    RepayExceedsOwed,
)
from actions.bank.models import Account, AuditLog, Transaction
from actions.bank.services import audit
from actions.bank.services.accounts import list_accounts
from actions.bank.services.credit import (
    create_installment,
    credit_lines,
    current_bill,
    quote_installment,
    raise_limit_eligibility,
    repay,
)
from actions.bank.services.loans import loans


def test_current_bills(session, zhang, li, wang, day):
    bill = current_bill(session, zhang, "credit_card")
    assert (bill.amount_due, bill.minimum_due, bill.remaining) == (
        Decimal("8650.00"),
        Decimal("865.00"),
        Decimal("8650.00"),
    )
    assert bill.due_date == day + timedelta(days=10) and bill.card_tail == "5678"
    assert current_bill(session, zhang, "baitiao").amount_due == Decimal("3120.80")
    overdue = current_bill(session, li, "credit_card")
    assert overdue.status == "overdue" and overdue.days_overdue == 5
    with pytest.raises(ProductNotFound) as caught:
        current_bill(session, wang, "baitiao")
    assert caught.value.values == {"product": "白条"}
    assert credit_lines(session, wang) == ()


def test_installment_quote_rounds_half_up(session, zhang):
    quote = quote_installment(session, zhang, "credit_card", 12)
    # 8650 / 12 = 720.8333 → 720.83; fee 8650 × 0.66% = 57.09
    assert quote.per_period_principal == Decimal("720.83")
    assert quote.per_period_fee == Decimal("57.09")
    assert quote.per_period_amount == Decimal("777.92")
    assert quote.last_period_amount == Decimal("777.96")
    assert quote.total_fee == Decimal("685.08")
    assert quote.per_period_amount * 11 + quote.last_period_amount == quote.total_amount
    assert quote_installment(session, zhang, "baitiao", "3").per_period_fee == Decimal("18.72")


@pytest.mark.parametrize("count", [5, 0, "十二", None, 36])
def test_installment_bad_count_lists_allowed_counts(session, zhang, count):
    with pytest.raises(InvalidInput) as caught:
        quote_installment(session, zhang, "credit_card", count)
    assert caught.value.code == "invalid_installment_count" and caught.value.values["counts"] == [3, 6, 12, 24]


def test_create_installment_restructures_bill(session, zhang, count):
    plan = create_installment(session, zhang, "credit_card", 6, "web-1")
    bill = current_bill(session, zhang, "credit_card")
    assert bill.status == "installment"
    assert bill.remaining == plan.quote.per_period_amount == Decimal("1502.22")
    [entry] = audit.entries(session, zhang, "create_installment")
    assert entry[4]["principal"] == "8650.00" and entry[4]["count"] == 6
    with pytest.raises(NotAllowed):
        create_installment(session, zhang, "credit_card", 6, "web-1")


def test_overdue_bill_cannot_be_split(session, li):
    with pytest.raises(NotAllowed) as caught:
        quote_installment(session, li, "credit_card", 3)
    assert caught.value.code == "bill_overdue"


def test_repay_full_moves_money_and_records_it(session, zhang, count):
    before = count(session, Transaction)
    result = repay(session, zhang, "credit_card", mode="full", source_card_tail="1234", sender_id="web-1")
    assert result.amount == Decimal("8650.00") and result.remaining == Decimal("0.00")
    assert result.status == "paid"
    assert result.source_balance_after == Decimal("43690.50")
    assert list_accounts(session, zhang)[0].balance == Decimal("43690.50")
    assert credit_lines(session, zhang)[0].available == Decimal("48764.40")
    assert count(session, Transaction) == before + 2
    [entry] = audit.entries(session, zhang, "repay")
    assert entry[4] == {
        "amount": "8650.00",
        "bill_id": 2,
        "product": "credit_card",
        "remaining": "0.00",
        "source_card_tail": "1234",
    }
    with pytest.raises(NothingToRepay):
        repay(session, zhang, "credit_card", mode="minimum", sender_id="web-1")


def test_repay_minimum_then_amount(session, zhang):
    first = repay(session, zhang, "baitiao", mode="minimum", sender_id="web-1")
    assert first.amount == Decimal("312.08") and first.status == "partially_paid"
    with pytest.raises(NothingToRepay) as caught:
        repay(session, zhang, "baitiao", mode="minimum", sender_id="web-1")
    assert caught.value.values["owed"] == Decimal("2808.72")
    second = repay(session, zhang, "baitiao", amount="2808.72", sender_id="web-1")
    assert second.remaining == Decimal("0.00") and second.status == "paid"


@pytest.mark.parametrize("amount", ["0", "-100", "abc", "10000001", "0.001"])
def test_repay_rejects_bad_amounts(session, zhang, amount):
    with pytest.raises(InvalidAmount):
        repay(session, zhang, "credit_card", amount=amount, sender_id="web-1")


def test_repay_more_than_owed(session, zhang):
    with pytest.raises(RepayExceedsOwed) as caught:
        repay(session, zhang, "credit_card", amount="8650.01", sender_id="web-1")
    assert caught.value.values["owed"] == Decimal("8650.00")


def test_repay_source_card_checks(session, li):
    with pytest.raises(CardFrozen):
        repay(session, li, "credit_card", mode="minimum", source_card_tail="5566", sender_id="s")
    with pytest.raises(InvalidInput) as caught:
        repay(session, li, "credit_card", mode="minimum", source_card_tail="7788", sender_id="s")
    assert caught.value.code == "not_a_debit_card"
    account = session.scalar(select(Account).where(Account.card_number.endswith("8899")))
    account.balance = Decimal("100.00")
    with pytest.raises(InsufficientFunds) as caught:
        repay(session, li, "credit_card", mode="minimum", sender_id="s")
    assert caught.value.values["balance"] == Decimal("100.00")
    with pytest.raises(InvalidInput):
        repay(session, li, "credit_card", sender_id="s")  # neither amount nor mode
    assert session.scalar(select(AuditLog)) is None


def test_overdue_bill_stays_overdue_until_paid(session, li):
    result = repay(session, li, "credit_card", mode="minimum", sender_id="s")
    assert result.amount == Decimal("240.00") and result.status == "overdue"
    assert repay(session, li, "credit_card", mode="full", sender_id="s").status == "paid"


def test_repay_jintiao(session, zhang):
    result = repay(session, zhang, "jintiao", mode="minimum", sender_id="s")
    assert result.amount == Decimal("2702.50") and result.remaining == Decimal("19797.50")
    with pytest.raises(RepayExceedsOwed):
        repay(session, zhang, "jintiao", amount="19797.51", sender_id="s")
    assert repay(session, zhang, "jintiao", mode="full", sender_id="s").status == "closed"
    assert loans(session, zhang)[0].outstanding == Decimal("0.00")


def test_raise_limit_eligibility(session, zhang, li):
    good = raise_limit_eligibility(session, zhang, "credit_card")
    assert good.eligible and good.suggested_limit == Decimal("60000.00")
    bad = raise_limit_eligibility(session, li, "credit_card")
    assert not bad.eligible and bad.suggested_limit is None
    assert "有逾期未还的账单" in bad.reasons
