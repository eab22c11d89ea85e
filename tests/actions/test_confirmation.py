"""A confirmed request moves money at most once: a double tap of 确认, or the same turn replayed
after a failover, gets the first receipt again and changes nothing."""

from sqlalchemy import func, select

from actions.bank.db import session_scope
from actions.bank.models import Account, AuditLog, LoanApplication, MoneyMovement, Transaction, Transfer
from actions.confirmation import movement_key
from actions.loan import ActionSubmitLoan
from actions.repay import ActionSubmitRepay
from actions.transfer import ActionSubmitTransfer
from tests.actions.conftest import make_tracker, run, verified

TRANSFER = verified(recipient="李娜", amount="1000", card_tail="1234")


def asked_to_confirm(at: float) -> list[dict]:
    """The events of a turn in which the form asked for confirmation, then a 确认 at ``at + 5``."""
    return [
        {"event": "user", "timestamp": at - 1, "text": "转1000给李娜"},
        {"event": "slot", "timestamp": at, "name": "requested_slot", "value": "confirm"},
        {"event": "bot", "timestamp": at, "text": "请确认：从尾号1234的储蓄卡向李娜转账¥1,000.00"},
        {"event": "action", "timestamp": at, "name": "action_listen"},
        {"event": "user", "timestamp": at + 5, "text": "确认"},
    ]


def confirmed(events: list[dict], slots=TRANSFER, sender_id="web-7"):
    return make_tracker({**slots, "confirm": True}, text="确认", intent="affirm", events=events, sender_id=sender_id)


def counts(url) -> dict[str, object]:
    with session_scope(url) as session:
        count = lambda model: session.scalar(select(func.count()).select_from(model))  # noqa: E731
        return {
            "balances": session.scalars(select(Account.balance).order_by(Account.id)).all(),
            "transfers": count(Transfer),
            "transactions": count(Transaction),
            "applications": count(LoanApplication),
            "audit": count(AuditLog),
            "movements": count(MoneyMovement),
        }


def test_a_replayed_turn_tells_the_same_receipt_and_moves_nothing(bank):
    """Failover: the action server committed, the reply was lost, another replica runs the same turn."""
    before = counts(bank)
    tracker = confirmed(asked_to_confirm(1000.0))
    first, _, first_events = run(ActionSubmitTransfer(), tracker)
    once = counts(bank)
    replayed, _, replayed_events = run(ActionSubmitTransfer(), tracker)
    assert first[0].startswith("转账成功！已向李娜转账¥1,000.00，交易编号")
    assert replayed == first and replayed_events == first_events
    assert counts(bank) == once
    assert once["transfers"] == before["transfers"] + 1 and once["audit"] == before["audit"] + 1


def test_a_double_tap_of_confirm_moves_money_once(bank):
    before = counts(bank)
    events = asked_to_confirm(1000.0)
    first, _, _ = run(ActionSubmitTransfer(), confirmed(events))
    # the first 确认's turn is stored; a second 确认 comes while the request's slots still read as confirmed
    events += [
        {"event": "action", "timestamp": 1005.1, "name": "action_submit_transfer"},
        {"event": "bot", "timestamp": 1005.1, "text": first[0]},
        {"event": "action", "timestamp": 1005.2, "name": "action_listen"},
        {"event": "user", "timestamp": 1005.3, "text": "确认"},
    ]
    second, _, _ = run(ActionSubmitTransfer(), confirmed(events))
    assert second == first
    after = counts(bank)
    assert after["transfers"] == before["transfers"] + 1 and after["movements"] == before["movements"] + 1


def test_a_new_request_after_a_new_confirmation_question_moves_money_again(bank):
    events = asked_to_confirm(1000.0)
    run(ActionSubmitTransfer(), confirmed(events))
    run(ActionSubmitTransfer(), confirmed([*events, *asked_to_confirm(2000.0)]))
    assert counts(bank)["transfers"] == 2


def test_the_key_names_the_conversation_the_action_and_the_request():
    events = asked_to_confirm(1000.0)
    key = movement_key(confirmed(events), "action_submit_transfer")
    assert key == movement_key(confirmed(events), "action_submit_transfer")
    assert key.startswith("action_submit_transfer:")
    assert key != movement_key(confirmed(events, sender_id="web-8"), "action_submit_transfer")
    assert key != movement_key(confirmed(events), "action_submit_repay")
    assert key != movement_key(confirmed(events, slots={**TRANSFER, "amount": "2000"}), "action_submit_transfer")
    assert key != movement_key(confirmed(asked_to_confirm(1000.5)), "action_submit_transfer")
    assert movement_key(make_tracker(TRANSFER), "action_submit_transfer") is None  # no events: nothing to anchor to


def test_a_replayed_repayment_and_loan_application_happen_once(bank):
    before = counts(bank)
    events = asked_to_confirm(1000.0)
    repay = confirmed(events, slots=verified(product="credit_card", amount="865.00", card_tail="1234"))
    loan = confirmed(events, slots=verified(amount="5000", term_months=6, loan_purpose="旅游"))
    assert run(ActionSubmitRepay(), repay)[0] == run(ActionSubmitRepay(), repay)[0]
    assert run(ActionSubmitLoan(), loan)[0] == run(ActionSubmitLoan(), loan)[0]
    after = counts(bank)
    assert after["applications"] == before["applications"] + 1
    assert after["transactions"] == before["transactions"] + 2  # the repayment's two sides, once
    assert after["audit"] == before["audit"] + 2
