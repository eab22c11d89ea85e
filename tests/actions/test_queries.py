from datetime import timedelta

from actions.bank.clock import today
from actions.queries import (
    ActionRaiseCreditLimit,
    ActionShowBalance,
    ActionShowBill,
    ActionShowCreditLimit,
    ActionShowLoanStatus,
    ActionShowTransactions,
)
from tests.actions.conftest import make_tracker, run, verified


def test_balance_needs_verification(bank):
    texts, _, _ = run(ActionShowBalance(), make_tracker())
    assert "身份验证" in texts[0] and "¥" not in texts[0]


def test_balance_shows_masked_cards_and_money(bank):
    texts, _, _ = run(ActionShowBalance(), make_tracker(verified()))
    assert "储蓄卡尾号1234：可用余额¥52,340.50" in texts[0]
    assert "6217000010001234" not in texts[0]


def test_bill_shows_amount_due_minimum_and_due_date(bank):
    texts, _, _ = run(ActionShowBill(), make_tracker(verified()))
    assert "信用卡本期应还¥8,650.00，最低还款¥865.00" in texts[0]
    due = today() + timedelta(days=10)
    assert f"到期日{due.month}月{due.day}日" in texts[0]


def test_overdue_bill_is_flagged(bank):
    texts, _, _ = run(ActionShowBill(), make_tracker(verified(2)))
    assert "已逾期5天" in texts[0]


def test_transactions_default_to_the_last_30_days(bank):
    texts, _, events = run(ActionShowTransactions(), make_tracker(verified()))
    assert "共" in texts[0] and "笔交易" in texts[0]
    assert {"event": "slot", "name": "date_range", "value": None, "timestamp": None} in events


def test_transactions_filter_by_minimum_amount(bank):
    end = today()
    slots = verified(
        date_range={"start": (end - timedelta(days=89)).isoformat(), "end": end.isoformat()}, amount="5000.00"
    )
    texts, _, _ = run(ActionShowTransactions(), make_tracker(slots, text="5000以上的交易"))
    listed = texts[0].split("\n")[1:]
    assert listed, texts[0]
    amounts = [line.rsplit("¥", 1)[1].replace(",", "") for line in listed if "¥" in line]
    assert all(float(a) >= 5000 for a in amounts)


def test_transactions_outside_the_data_get_a_clear_answer(bank):
    slots = verified(date_range={"start": "2001-01-01", "end": "2001-01-31"})
    texts, _, _ = run(ActionShowTransactions(), make_tracker(slots))
    assert "交易记录从" in texts[0]


def test_credit_limit_and_raise_and_loans(bank):
    texts, _, _ = run(ActionShowCreditLimit(), make_tracker(verified()))
    assert "信用卡：总额度¥50,000.00" in texts[0]
    texts, _, _ = run(ActionRaiseCreditLimit(), make_tracker(verified()))
    assert "信用卡" in texts[0]
    texts, _, _ = run(ActionShowLoanStatus(), make_tracker(verified()))
    assert "剩余待还本金¥22,500.00" in texts[0]


def test_customer_without_credit_products(bank):
    texts, _, _ = run(ActionShowCreditLimit(), make_tracker(verified(3)))
    assert texts == ["您目前还没有开通信用卡或白条。"]
