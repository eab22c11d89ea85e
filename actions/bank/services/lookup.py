"""Shared lookups of a customer's own rows, and their conversion to views."""

from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.bank.errors import (
    AmbiguousCard,
    CardFrozen,
    CardNotFound,
    InsufficientFunds,
    InvalidInput,
    NotFound,
    ProductNotFound,
)
from actions.bank.models import Account, CreditLine, Customer
from actions.bank.money import card_tail, normalize_card_tail
from actions.bank.views import PRODUCT_NAMES, AccountView, CreditLineView

CREDIT_PRODUCTS = ("credit_card", "baitiao")


def customer(session: Session, customer_id: int) -> Customer:
    found = session.get(Customer, customer_id)
    if found is None:
        raise NotFound("verified_customer_missing", customer_id=customer_id)
    return found


def savings_accounts(session: Session, customer_id: int) -> list[Account]:
    return list(session.scalars(select(Account).where(Account.customer_id == customer_id).order_by(Account.id)))


def credit_cards_with_tail(session: Session, customer_id: int, tail: str) -> list[CreditLine]:
    lines = session.scalars(
        select(CreditLine).where(CreditLine.customer_id == customer_id, CreditLine.card_number.is_not(None))
    )
    return [line for line in lines if card_tail(line.card_number) == tail]


def source_account(session: Session, customer_id: int, tail: str | None) -> Account:
    """The savings account money is taken from, locked for update where the database can.

    Without a tail the customer's only account, or only active account, is used.
    """
    customer(session, customer_id)
    accounts = savings_accounts(session, customer_id)
    if tail is None:
        candidates = [a for a in accounts if a.status == "active"] if len(accounts) > 1 else accounts
        if not candidates:
            raise CardNotFound("no_usable_debit_card")
        if len(candidates) > 1:
            raise AmbiguousCard("several_debit_cards")
        chosen = candidates[0]
    else:
        tail = normalize_card_tail(tail)
        matches = [a for a in accounts if card_tail(a.card_number) == tail]
        if not matches:
            if credit_cards_with_tail(session, customer_id, tail):
                raise InvalidInput("not_a_debit_card", card_tail=tail)
            raise CardNotFound(card_tail=tail)
        chosen = matches[0]
    return session.scalar(select(Account).where(Account.id == chosen.id).with_for_update())


def credit_line(session: Session, customer_id: int, product: str) -> CreditLine:
    if product not in CREDIT_PRODUCTS:
        raise InvalidInput("invalid_product", product=product)
    customer(session, customer_id)
    found = session.scalar(
        select(CreditLine)
        .where(CreditLine.customer_id == customer_id, CreditLine.product == product)
        .order_by(CreditLine.id)
        .limit(1)
        .with_for_update()
    )
    if found is None:
        raise ProductNotFound(product=PRODUCT_NAMES[product])
    return found


def account_view(account: Account) -> AccountView:
    return AccountView(
        id=account.id,
        kind=account.kind,
        card_tail=card_tail(account.card_number),
        balance=account.balance,
        daily_transfer_limit=account.daily_transfer_limit,
        status=account.status,
    )


def credit_line_view(line: CreditLine) -> CreditLineView:
    return CreditLineView(
        id=line.id,
        product=line.product,
        product_name=PRODUCT_NAMES[line.product],
        credit_limit=line.credit_limit,
        available=line.available,
        used=line.credit_limit - line.available,
        card_tail=card_tail(line.card_number) if line.card_number else None,
        status=line.status,
    )


def check_can_pay(account: Account, value: Decimal) -> None:
    if account.status != "active":
        raise CardFrozen(card_tail=card_tail(account.card_number))
    if value > account.balance:
        raise InsufficientFunds(card_tail=card_tail(account.card_number), balance=account.balance, amount=value)
