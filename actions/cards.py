"""Freezing a card: reported lost (挂失), or suspected fraud (freeze + urgent ticket)."""

from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.account_forms import AccountFormValidator
from actions.bank.errors import BankError
from actions.bank.services import accounts, cards, tickets
from actions.bank.views import PRODUCT_NAMES
from actions.common import bank_session, tell_error
from actions.confirmation import SubmitAfterConfirmation, abort
from actions.handoff import conversation_summary
from actions.reply_values import Reply, line
from actions.tasks import finish_task
from actions.verification import require_customer


class CardToFreezeValidator(AccountFormValidator):
    @abstractmethod
    def when_already_frozen(self, slot_value: str) -> dict[str, Any]:
        """Slots to set when the named card is frozen already."""

    def validate_card_tail(self, value, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        def not_frozen_yet(session, customer: int) -> dict[str, Any] | None:
            card = accounts.find_card(session, customer, value)
            if card.status != "frozen":
                return None
            dispatcher.utter_message(
                response="utter_card_already_frozen", card_tail=typed.digits(value), card=PRODUCT_NAMES[card.kind]
            )
            return self.when_already_frozen(value)

        return self.check_answer("card_tail", value, dispatcher, tracker, not_frozen_yet)


class ValidateCardLossForm(CardToFreezeValidator):
    def name(self) -> str:
        return "validate_card_loss_form"

    def when_already_frozen(self, slot_value: str) -> dict[str, Any]:
        return abort("card_tail")


class ValidateFraudForm(CardToFreezeValidator):
    def name(self) -> str:
        return "validate_fraud_form"

    def when_already_frozen(self, slot_value: str) -> dict[str, Any]:
        """Nothing to confirm: go straight to the urgent ticket."""
        return {"card_tail": slot_value, "confirm": True}


def freeze_summary(session, customer: int, tracker: Tracker) -> Reply:
    card = accounts.find_card(session, customer, tracker.get_slot("card_tail"))
    return line("utter_ask_confirm_freeze", card_tail=typed.digits(card.card_tail), card=PRODUCT_NAMES[card.kind])


class ActionSubmitCardLoss(SubmitAfterConfirmation):
    cancelled_response = "utter_freeze_cancelled"

    def name(self) -> str:
        return "action_submit_card_loss"

    def execute(self, session, customer: int, tracker: Tracker) -> Reply:
        result = cards.freeze_card(session, customer, tracker.get_slot("card_tail"), "客户挂失", tracker.sender_id)
        return line(
            "utter_card_reported_lost", card_tail=typed.digits(result.card_tail), card=PRODUCT_NAMES[result.kind]
        )


class ActionSubmitFraud(Action):
    """Freeze (if confirmed) and open an urgent ticket, in one database transaction."""

    def name(self) -> str:
        return "action_submit_fraud"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        customer = require_customer(dispatcher, tracker)
        if customer is None:
            return finish_task(dispatcher, tracker)
        tail, freeze = tracker.get_slot("card_tail"), bool(tracker.get_slot("confirm"))
        try:
            with bank_session() as session:
                frozen = freeze and _freeze_unless_frozen(session, customer, tail, tracker.sender_id)
                number = tickets.create_ticket(
                    session,
                    tracker.sender_id,
                    customer,
                    conversation_summary(tracker, f"疑似欺诈/盗刷，卡片尾号{tail}"),
                    "urgent",
                )
        except BankError as error:
            tell_error(dispatcher, error)
            return finish_task(dispatcher, tracker)
        dispatcher.utter_message(
            response="utter_fraud_card_frozen" if frozen else "utter_fraud_reported",
            card_tail=typed.digits(tail),
            ticket=typed.digits(number),
        )
        return finish_task(dispatcher, tracker)


def _freeze_unless_frozen(session, customer: int, tail: str, sender_id: str) -> bool:
    if accounts.find_card(session, customer, tail).status == "frozen":
        return True
    cards.freeze_card(session, customer, tail, "疑似欺诈", sender_id)
    return True
