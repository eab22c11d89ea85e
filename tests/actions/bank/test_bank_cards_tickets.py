import pytest
from sqlalchemy import select

from actions.bank.errors import (
    CardAlreadyFrozen,
    CardFrozen,
    CardNotFound,
    InvalidInput,
)
from actions.bank.models import CreditLine
from actions.bank.services import audit
from actions.bank.services.accounts import find_card
from actions.bank.services.cards import freeze_card
from actions.bank.services.tickets import create_ticket, list_tickets
from actions.bank.services.transfers import transfer


def test_freeze_debit_card_blocks_transfers(session, zhang):
    result = freeze_card(session, zhang, "1234", "银行卡丢失", "web-1")
    assert (result.kind, result.card_tail) == ("savings", "1234")
    assert find_card(session, zhang, "1234").status == "frozen"
    with pytest.raises(CardFrozen):
        transfer(session, zhang, "李娜", "10", "1234", "web-1")
    with pytest.raises(CardAlreadyFrozen) as caught:
        freeze_card(session, zhang, "1234", "再次挂失", "web-1")
    assert caught.value.values == {"card_tail": "1234", "card": "储蓄卡"}
    [entry] = audit.entries(session, zhang, "freeze_card")
    assert entry[4] == {"card_tail": "1234", "kind": "savings", "reason": "银行卡丢失"}


def test_freeze_credit_card(session, zhang):
    assert freeze_card(session, zhang, "5678", "被盗", "s").kind == "credit_card"
    assert (
        session.scalar(
            select(CreditLine.status).where(CreditLine.product == "credit_card", CreditLine.customer_id == zhang)
        )
        == "frozen"
    )


def test_freeze_unknown_card(session, zhang):
    with pytest.raises(CardNotFound):
        freeze_card(session, zhang, "5566", "丢失", "s")  # 李娜's card
    assert audit.entries(session) == []


def test_create_ticket(session, zhang):
    number = create_ticket(session, "web-1", zhang, "客户说卡号6217000010001234被盗刷", "urgent")
    other = create_ticket(session, "web-2", None, "想咨询理财")
    assert number == "H000001" and other == "H000002"
    newest, oldest = list_tickets(session)
    assert newest.number == other and newest.customer_id is None and newest.priority == "normal"
    assert oldest.summary == "客户说卡号************1234被盗刷" and oldest.status == "open"
    with pytest.raises(InvalidInput):
        create_ticket(session, "web-1", zhang, "x", priority="high")
