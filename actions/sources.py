"""Choosing and checking the savings card that money is taken from."""

from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_forms import AccountFormValidator
from actions.bank.errors import AmbiguousCard
from actions.bank.services import lookup
from actions.common import bank_session, customer_id


class SourceCardMixin(AccountFormValidator):
    """For forms whose ``card_tail`` is the paying card; needs ``amount_to_pay``."""

    def amount_to_pay(self, session, customer: int, tracker: Tracker) -> Decimal | None:
        raise NotImplementedError

    async def default_card_tail(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """Use the customer's only usable savings card without asking (a frozen one can't pay)."""
        customer = customer_id(tracker)
        if tracker.get_slot("card_tail") or customer is None:
            return {}
        with bank_session() as session:
            usable = [a for a in lookup.savings_accounts(session, customer) if a.status == "active"]
        return {"card_tail": usable[0].card_number[-4:]} if len(usable) == 1 else {}

    def validate_card_tail(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        def card_can_pay(session, customer: int) -> None:
            account = lookup.source_account(session, customer, value)
            amount = self.amount_to_pay(session, customer, tracker)
            if amount is not None:
                lookup.check_can_pay(account, amount)
            elif account.status != "active":
                lookup.check_can_pay(account, Decimal("0"))

        return self.check_answer("card_tail", value, dispatcher, tracker, card_can_pay)

    @staticmethod
    def check_balance(session, customer: int, tail: str | None, amount: Decimal) -> None:
        """Raise if the chosen (or only) savings card can't pay ``amount``."""
        try:
            account = lookup.source_account(session, customer, tail)
        except AmbiguousCard:
            return
        lookup.check_can_pay(account, amount)
