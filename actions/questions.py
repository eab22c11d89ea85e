"""The questions forms ask. Choices come from ``actions.options`` as buttons; the third time
the same question is asked without an answer, it also offers a person.

Each question is a domain response ``utter_ask_[<form>_]<slot>[_<variant>]`` (bot/nlg.py tells
the call which slot it asks for), uttered by an action so that options and the offer of a
person can be added to it.
"""

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.bank.services import loans
from actions.options import options

ASKED_TWICE = 2


def ask(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, response: str, **values: Any) -> None:
    buttons = [o.as_button() for o in options(slot, tracker)]
    dispatcher.utter_message(response=response, buttons=buttons, **values)
    if int(tracker.get_slot("unanswered_turns") or 0) >= ASKED_TWICE:
        dispatcher.utter_message(response="utter_help_to_answer")


class Question(Action, ABC):
    """Asks for ``slot`` (``form`` set for a form's own question) with the response ``response``."""

    form = ""
    response = ""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot asked for; subclasses set it as a class attribute."""

    def name(self) -> str:
        prefix = f"{self.form}_" if self.form else ""
        return f"action_ask_{prefix}{self.slot}"

    def question(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        """The response that asks, and its values."""
        return self.response, {}

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        response, values = self.question(tracker)
        ask(dispatcher, tracker, self.slot, response, **values)
        return []


class AskPhone(Question):
    slot, response = "phone", "utter_ask_phone"


class AskOtpCode(Question):
    slot, response = "otp_code", "utter_ask_otp_code"


class AskRecipient(Question):
    slot, response = "recipient", "utter_ask_recipient"


class AskInstallmentCount(Question):
    slot, response = "installment_count", "utter_ask_installment_count"


class AskTermMonths(Question):
    slot, response = "term_months", "utter_ask_term_months"


class AskLoanPurpose(Question):
    slot, response = "loan_purpose", "utter_ask_loan_purpose"


class AskRepayAmount(Question):
    form, slot, response = "repay_form", "amount", "utter_ask_repay_form_amount"


class AskTransferAmount(Question):
    form, slot, response = "transfer_form", "amount", "utter_ask_transfer_form_amount"

    def question(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        recipient = tracker.get_slot("recipient")
        if recipient:
            return "utter_ask_transfer_form_amount_for_recipient", {"recipient": recipient}
        return super().question(tracker)


class AskLoanAmount(Question):
    form, slot, response = "loan_form", "amount", "utter_ask_loan_form_amount"

    def question(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        return self.response, {"least": typed.money(loans.MIN_LOAN), "most": typed.money(loans.MAX_LOAN)}


class AskProduct(Question):
    slot = "product"

    def question(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        if tracker.active_loop_name == "repay_form":
            return "utter_ask_product_to_repay", {}
        return "utter_ask_product_to_install", {}


class AskCardTail(Question):
    slot, response = "card_tail", "utter_ask_card_tail"

    def question(self, tracker: Tracker) -> tuple[str, dict[str, Any]]:
        if tracker.active_loop_name in ("repay_form", "transfer_form"):
            return "utter_ask_card_tail_to_pay_from", {}
        return super().question(tracker)
