"""Forms about the customer's own accounts, whose answers the bank checks.

Which card, which bill, how many periods, how much: each answer is checked on its own
first, then, once the customer is verified, against their accounts. A refusal is told
in the bank's own words and the question is asked again.
"""

from typing import Any, Callable

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import BankError
from actions.common import bank_session, customer_id, tell_error
from actions.confirmation import ConfirmingFormValidator

# (session, customer id) → None to accept the answer as given, or the slots to set instead
AccountCheck = Callable[[Any, int], dict[str, Any] | None]


class AccountFormValidator(ConfirmingFormValidator):
    def check_answer(
        self,
        slot: str,
        value: Any,
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        against_accounts: AccountCheck,
        *,
        on_its_own: Callable[[], object] | None = None,
        when_refused: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """``{slot: value}`` when ``on_its_own()`` and ``against_accounts`` pass (a BankError
        refuses); a refusal is told and sets ``when_refused``, by default ``{slot: None}``.

        Before verification only ``on_its_own`` runs; the answer meets the bank once the
        customer is known (``AnsweringFormValidator.revalidate``).
        """
        try:
            if on_its_own is not None:
                on_its_own()
            customer = customer_id(tracker)
            if customer is None:
                return {slot: value}
            with bank_session() as session:
                instead = against_accounts(session, customer)
        except BankError as error:
            self.tell_refusal(dispatcher, error)
            return {slot: None} if when_refused is None else when_refused
        return {slot: value} if instead is None else instead

    @staticmethod
    def tell_refusal(dispatcher: CollectingDispatcher, error: BankError) -> None:
        tell_error(dispatcher, error)
