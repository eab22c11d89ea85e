import asyncio
from decimal import Decimal

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import select

from actions.bank.db import session_scope
from actions.bank.models import Account, AuditLog, Bill, LoanApplication
from actions.confirmation import ConfirmingFormValidator
from actions.installment import ActionSubmitInstallment, ValidateInstallmentForm
from actions.loan import ActionSubmitLoan, ValidateLoanForm
from actions.prompts import ActionAskConfirm
from actions.repay import ActionSubmitRepay, ValidateRepayForm
from actions.transfer import ActionSubmitTransfer, ValidateTransferForm
from tests.actions.conftest import make_tracker, run, texts_of, verified


def validate(method, value, slots, **tracker_args):
    dispatcher = CollectingDispatcher()
    result = method(value, dispatcher, make_tracker(slots, **tracker_args), {})
    return result, texts_of(dispatcher)


def balance_of(url, tail="1234") -> Decimal:
    with session_scope(url) as session:
        return next(a.balance for a in session.scalars(select(Account)) if a.card_number.endswith(tail))


def audit_actions(url) -> list[str]:
    with session_scope(url) as session:
        return [row.action for row in session.scalars(select(AuditLog))]


# repay ---------------------------------------------------------------------


def test_repay_amount_over_the_bill_is_asked_again(bank):
    result, texts = validate(ValidateRepayForm().validate_amount, "9000.00", verified(product="credit_card"))
    assert result == {"amount": None}
    assert "¥8,650.00" in texts[0]


def test_repay_zero_or_negative_amount_is_refused(bank):
    for bad in ("0", "-5", "abc", "99999999999"):
        result, texts = validate(ValidateRepayForm().validate_amount, bad, verified())
        assert result == {"amount": None}, bad
        assert texts and "金额" in texts[0]


def test_repay_confirmation_quotes_the_minimum(bank):
    slots = verified(product="credit_card", amount="minimum", card_tail="1234")
    texts, buttons, _ = run(ActionAskConfirm(), make_tracker(slots, active_loop="repay_form"))
    assert "尾号1234扣款¥865.00" in texts[0] and "信用卡" in texts[0]
    assert [b["payload"] for b in buttons] == ["/affirm", "/cancel"]


def test_confirmed_repay_moves_exactly_the_amount_once_with_an_audit(bank):
    before = balance_of(bank)
    slots = verified(product="credit_card", amount="865.00", card_tail="1234", confirm=True)
    texts, _, _ = run(ActionSubmitRepay(), make_tracker(slots))
    assert "还款成功" in texts[0]
    assert balance_of(bank) == before - Decimal("865.00")
    assert audit_actions(bank).count("repay") == 1


def test_declined_repay_changes_nothing(bank):
    before = balance_of(bank)
    slots = verified(product="credit_card", amount="865.00", card_tail="1234", confirm=False)
    texts, _, _ = run(ActionSubmitRepay(), make_tracker(slots))
    assert "已取消" in texts[0]
    assert balance_of(bank) == before and "repay" not in audit_actions(bank)


def test_repay_product_is_chosen_when_only_one_bill_is_open(bank):
    import asyncio

    tracker = make_tracker(verified(2))
    found = asyncio.run(ValidateRepayForm().default_product(CollectingDispatcher(), tracker, {}))
    assert found == {"product": "credit_card"}


def test_a_customer_without_a_bill_is_told_so_and_the_repayment_ends(bank):
    import asyncio

    dispatcher = CollectingDispatcher()
    found = asyncio.run(ValidateRepayForm().default_product(dispatcher, make_tracker(verified(3)), {}))
    assert found == {"aborted": True}
    assert "没有开通" in texts_of(dispatcher)[0]


def test_the_bill_just_discussed_is_the_default_when_there_are_two(bank):
    import asyncio

    tracker = make_tracker(verified(1, context_product="baitiao"))
    found = asyncio.run(ValidateRepayForm().default_product(CollectingDispatcher(), tracker, {}))
    assert found == {"product": "baitiao"}


# correction and refusal at the confirmation step ---------------------------


def test_no_with_a_new_value_is_a_correction():
    events = [
        {"event": "user", "text": "不对，是五千"},
        {"event": "slot", "name": "amount", "value": "5000.00"},
        {"event": "slot", "name": "confirm", "value": False},
    ]
    result, _ = validate(
        ConfirmingFormValidator.validate_confirm.__get__(ValidateRepayForm()),
        False,
        {"amount": "5000.00", "confirm": False},
        events=events,
    )
    assert result == {"confirm": None}


def test_plain_no_keeps_the_refusal():
    events = [{"event": "user", "text": "不"}, {"event": "slot", "name": "confirm", "value": False}]
    result, _ = validate(ValidateRepayForm().validate_confirm, False, {"confirm": False}, events=events)
    assert result == {"confirm": False}


# transfer -------------------------------------------------------------------


def test_transfer_to_unknown_payee_lists_the_known_ones(bank):
    result, texts = validate(ValidateTransferForm().validate_recipient, "赵六", verified())
    assert result == {"recipient": None}
    assert "李娜" in texts[0] and "王强" in texts[0]


def extract_recipient(text, intent="inform", entities=(), requested="recipient"):
    tracker = make_tracker(verified(requested_slot=requested), text=text, intent=intent, entities=entities)
    return asyncio.run(ValidateTransferForm().extract_recipient(CollectingDispatcher(), tracker, {}))


@pytest.mark.parametrize(
    "text, name",
    [("李娜", "李娜"), ("是王强", "王强"), ("给李娜吧", "李娜"), ("就转给我们家李娜", "李娜"), ("赵六", "赵六")],
)
def test_a_bare_answer_to_the_recipient_question_is_the_recipient(bank, text, name):
    assert extract_recipient(text) == {"recipient": name}


def test_a_saved_payee_named_at_any_step_of_the_transfer_is_the_recipient(bank):
    assert extract_recipient("李娜", "inform", (), "amount") == {"recipient": "李娜"}
    assert extract_recipient("我说错了，是王强", "inform", (), "confirm") == {"recipient": "王强"}
    assert extract_recipient("不是李娜，是王强", "deny", (), "confirm") == {"recipient": "王强"}


@pytest.mark.parametrize(
    "text, intent, entities, requested",
    [
        ("确认", "affirm", (), "recipient"),
        ("两千", "inform", ({"entity": "amount", "value": "2000.00"},), "recipient"),
        ("等一下，先帮我查一下余额", "check_balance", (), "recipient"),
        ("李娜和王强", "inform", (), "recipient"),  # two payees: ask again
    ],
)
def test_other_replies_leave_the_recipient_alone(bank, text, intent, entities, requested):
    assert extract_recipient(text, intent, entities, requested) == {}


def test_transfer_over_the_balance_is_asked_again(bank):
    result, texts = validate(ValidateTransferForm().validate_amount, "100000.00", verified(card_tail="1234"))
    assert result == {"amount": None}
    assert "余额" in texts[0]


def test_transfer_over_the_daily_limit_is_asked_again(bank):
    result, texts = validate(ValidateTransferForm().validate_amount, "150000.00", verified(3))
    assert result == {"amount": None}
    assert "限额" in texts[0]


def test_confirmed_transfer(bank):
    before = balance_of(bank)
    slots = verified(recipient="李娜", amount="500.00", card_tail="1234", confirm=True)
    texts, _, _ = run(ActionSubmitTransfer(), make_tracker(slots))
    assert "转账成功" in texts[0] and "¥500.00" in texts[0]
    assert balance_of(bank) == before - Decimal("500.00")
    assert audit_actions(bank).count("transfer") == 1


# installment ----------------------------------------------------------------


def test_installment_quote_and_plan(bank):
    slots = verified(product="credit_card", installment_count=12.0)
    texts, _, _ = run(ActionAskConfirm(), make_tracker(slots, active_loop="installment_form"))
    assert "分12期" in texts[0] and "总手续费" in texts[0]
    texts, _, _ = run(ActionSubmitInstallment(), make_tracker({**slots, "confirm": True}))
    assert "分期办理成功" in texts[0]
    with session_scope(bank) as session:
        statuses = [b.status for b in session.scalars(select(Bill))]
    assert "installment" in statuses


def test_installment_count_not_offered_is_asked_again(bank):
    result, texts = validate(ValidateInstallmentForm().validate_installment_count, 5.0, verified(product="credit_card"))
    assert result == {"installment_count": None}
    assert "3、6、12、24" in texts[0]


# loan -----------------------------------------------------------------------


def test_loan_limits_are_checked(bank):
    validator = ValidateLoanForm()
    assert validate(validator.validate_amount, "500.00", verified())[0] == {"amount": None}
    assert validate(validator.validate_term_months, 7.0, verified())[0] == {"term_months": None}
    assert validate(validator.validate_loan_purpose, "赌博", verified())[0] == {"loan_purpose": None}


def test_loan_application_is_created(bank):
    slots = verified(3, amount="20000.00", term_months=12.0, loan_purpose="装修", confirm=True)
    texts, _, _ = run(ActionSubmitLoan(), make_tracker(slots))
    assert "申请编号" in texts[0] and "审核中" in texts[0]
    with session_scope(bank) as session:
        assert session.scalars(select(LoanApplication)).one().amount == Decimal("20000.00")
