"""Transfers to the customer's saved payees, within balance and the daily limit."""

import re
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.clock import now as bank_now
from actions.bank.errors import AmbiguousCard, BankError, DailyLimitExceeded
from actions.bank.money import format_yuan, parse_amount
from actions.bank.services import lookup, transfers
from actions.common import bank_session, customer_id
from actions.confirmation import ConfirmingFormValidator, SubmitAfterConfirmation
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
            f"抱歉，这张卡今日还可转账{format_yuan(max(left, Decimal('0')))}"
            f"（每日限额{format_yuan(account.daily_transfer_limit)}），请调整金额。"
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
        known = "、".join(names) if names else "（暂无）"
        dispatcher.utter_message(
            text=f"抱歉，您的常用收款人里没有“{value}”。为了资金安全，只能向已保存的收款人转账，"
            f"您的常用收款人有：{known}。请问要转给哪一位？"
        )
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
            dispatcher.utter_message(text=error.message)
            return {"amount": None}
        return {"amount": value}

    def amount_to_pay(self, session, customer: int, tracker: Tracker) -> Decimal | None:
        value = tracker.get_slot("amount")
        return parse_amount(value) if value else None


def transfer_summary(session, customer: int, tracker: Tracker) -> str:
    name = tracker.get_slot("recipient")
    payee = next(p for p in transfers.payees(session, customer) if p.name == name)
    account = lookup.source_account(session, customer, tracker.get_slot("card_tail"))
    amount = parse_amount(tracker.get_slot("amount"))
    return (
        f"请确认：从储蓄卡尾号{account.card_number[-4:]}向{payee.name}"
        f"（{payee.bank}尾号{payee.account_tail}）转账{format_yuan(amount)}。确认转账吗？"
    )


class ActionSubmitTransfer(SubmitAfterConfirmation):
    cancelled_text = "好的，本次转账已取消，资金没有转出。"
    failed_suffix = "本次转账未成功，资金没有转出。"

    def name(self) -> str:
        return "action_submit_transfer"

    def execute(self, session, customer: int, tracker: Tracker) -> str:
        receipt = transfers.transfer(
            session,
            customer,
            tracker.get_slot("recipient"),
            tracker.get_slot("amount"),
            tracker.get_slot("card_tail"),
            tracker.sender_id,
        )
        return (
            f"转账成功！已向{receipt.recipient}转账{format_yuan(receipt.amount)}，"
            f"交易编号{receipt.number}。储蓄卡尾号{receipt.source_card_tail}"
            f"余额{format_yuan(receipt.balance_after)}，"
            f"今日还可转账{format_yuan(receipt.remaining_daily_limit)}。"
        )
