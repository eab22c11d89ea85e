"""Transfers to the customer's saved payees, within balance and the daily limit."""

import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.bank.clock import now as bank_now
from actions.bank.errors import AmbiguousCard, BankError, DailyLimitExceeded
from actions.bank.money import parse_amount
from actions.bank.services import lookup, transfers
from actions.common import bank_session, customer_id, tell_error
from actions.confirmation import ConfirmingFormValidator, SubmitAfterConfirmation
from actions.reply_values import Reply, line
from actions.sources import SourceCardMixin

# What a bare answer to "请问要转给谁？" may wrap around the name: 是李娜 / 给李娜吧 / 李娜。
_AROUND_A_NAME = re.compile(r"^(?:是|给|转给)?(?P<name>[\u4e00-\u9fff]{2,4}?)(?:吧|啊|呀|的)?[。.!！]?$")


_CORRECTION = re.compile(r"不是|说错|错了|不对|改成|换成|改为|换为")


def check_daily_limit(session, customer: int, tail: str | None, amount: Decimal) -> None:
    try:
        account = lookup.source_account(session, customer, tail)
    except AmbiguousCard:
        return
    left = account.daily_transfer_limit - transfers.transferred_today(session, account, bank_now())
    if amount > left:
        raise DailyLimitExceeded(
            "amount_over_daily_limit",
            amount=amount,
            left_today=max(left, Decimal("0.00")),
            daily_limit=account.daily_transfer_limit,
        )


class ValidateTransferForm(SourceCardMixin, ConfirmingFormValidator):
    def name(self) -> str:
        return "validate_transfer_form"

    async def extract_recipient(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """A saved payee named anywhere in the transfer (李娜 / 我说错了，是王强 / 不是李娜，是王强: the
        name said last), or a reply that is only a name while the bot asks whom or how much (an
        amount is never a name), so that an unknown name is answered (validate_recipient)."""
        message = tracker.latest_message

        customer = customer_id(tracker)
        text = (message.get("text") or "").strip()
        if customer is None or not text:
            return {}
        with bank_session() as session:
            named = sorted((text.rfind(p.name), p.name) for p in transfers.payees(session, customer) if p.name in text)
        if len(named) == 1 or (named and _CORRECTION.search(text)):
            return {"recipient": named[-1][1]}
        if named:
            return {}  # 李娜和王强: ask again
        if tracker.get_slot("requested_slot") not in ("recipient", "amount") or message.get("entities"):
            return {}  # an entity (the name after 转给, an amount, a card) is taken as Rasa maps it
        bare = _AROUND_A_NAME.match(text)
        is_inform = (message.get("intent") or {}).get("name") == "inform"
        return {"recipient": bare.group("name")} if bare and is_inform else {}

    async def default_recipient(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """A customer with one saved payee is not asked whom to pay (the confirmation names them)."""
        customer = customer_id(tracker)
        if customer is None:
            return {}
        with bank_session() as session:
            payees = transfers.payees(session, customer)
        return {"recipient": payees[0].name} if len(payees) == 1 else {}

    def validate_recipient(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        customer = customer_id(tracker)
        if customer is None:
            return {"recipient": value}
        with bank_session() as session:
            names = [p.name for p in transfers.payees(session, customer)]
        if value in names:
            return {"recipient": value}
        if names:
            dispatcher.utter_message(response="utter_not_a_payee", name=value, payees="、".join(names))
        else:
            dispatcher.utter_message(response="utter_not_a_payee_and_none_saved", name=value)
        return {"recipient": None}

    def validate_amount(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        try:
            amount = parse_amount(value)
            customer = customer_id(tracker)
            if customer is not None:
                with bank_session() as session:
                    tail = tracker.get_slot("card_tail")
                    self.check_balance(session, customer, tail, amount)
                    check_daily_limit(session, customer, tail, amount)
        except BankError as error:
            tell_error(dispatcher, error)
            return {"amount": None}
        return {"amount": value}

    def amount_to_pay(self, session, customer: int, tracker: Tracker) -> Decimal | None:
        value = tracker.get_slot("amount")
        return parse_amount(value) if value else None


def transfer_summary(session, customer: int, tracker: Tracker) -> Reply:
    name = tracker.get_slot("recipient")
    payee = next(p for p in transfers.payees(session, customer) if p.name == name)
    account = lookup.source_account(session, customer, tracker.get_slot("card_tail"))
    return line(
        "utter_ask_confirm_transfer",
        card_tail=typed.digits(account.card_number[-4:]),
        payee=payee.name,
        payee_bank=payee.bank,
        payee_tail=typed.digits(payee.account_tail),
        amount=typed.money(parse_amount(tracker.get_slot("amount"))),
    )


class ActionSubmitTransfer(SubmitAfterConfirmation):
    cancelled_response = "utter_transfer_cancelled"
    failed_response = "utter_transfer_failed"

    def name(self) -> str:
        return "action_submit_transfer"

    def execute(self, session, customer: int, tracker: Tracker) -> Reply:
        receipt = transfers.transfer(
            session,
            customer,
            tracker.get_slot("recipient"),
            tracker.get_slot("amount"),
            tracker.get_slot("card_tail"),
            tracker.sender_id,
            idempotency_key=self.key(tracker),
        )
        return line(
            "utter_transferred",
            payee=receipt.recipient,
            amount=typed.money(receipt.amount),
            number=typed.digits(receipt.number),
            card_tail=typed.digits(receipt.source_card_tail),
            balance=typed.money(receipt.balance_after),
            left_today=typed.money(receipt.remaining_daily_limit),
        )
