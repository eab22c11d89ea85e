"""Freezing a card: reported lost (挂失), or suspected fraud (freeze + urgent ticket)."""

from abc import abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.account_forms import AccountFormValidator
from actions.bank.errors import BankError
from actions.bank.services import accounts, cards, tickets
from actions.bank.views import PRODUCT_NAMES
from actions.common import bank_session
from actions.confirmation import SubmitAfterConfirmation, abort
from actions.handoff import conversation_summary
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
                text=f"您尾号{value}的{PRODUCT_NAMES[card.kind]}已经冻结，无需重复操作，卡内资金是安全的。"
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


def freeze_summary(session, customer: int, tracker: Tracker) -> str:
    card = accounts.find_card(session, customer, tracker.get_slot("card_tail"))
    return (
        f"请确认：立即冻结您尾号{card.card_tail}的{PRODUCT_NAMES[card.kind]}。"
        "冻结后这张卡将无法消费和转账，补卡或解冻需要本人到网点或在App办理。确认冻结吗？"
    )


class ActionSubmitCardLoss(SubmitAfterConfirmation):
    cancelled_text = "好的，暂不冻结。如果确认卡片丢失，请尽快告诉我办理挂失。"

    def name(self) -> str:
        return "action_submit_card_loss"

    def execute(self, session, customer: int, tracker: Tracker) -> str:
        result = cards.freeze_card(session, customer, tracker.get_slot("card_tail"), "客户挂失", tracker.sender_id)
        return (
            f"已为您冻结尾号{result.card_tail}的{PRODUCT_NAMES[result.kind]}，挂失立即生效。"
            "如需补办新卡，请携带身份证到任意网点办理。"
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
            dispatcher.utter_message(text=error.message)
            return finish_task(dispatcher, tracker)
        done = f"已冻结您尾号{tail}的卡片，" if frozen else ""
        dispatcher.utter_message(
            text=f"{done}已为您开通紧急工单{number}，反欺诈专员会尽快联系您。"
            "请不要向任何人透露验证码或密码；如已转账给骗子，请同时拨打110报警。"
        )
        return finish_task(dispatcher, tracker)


def _freeze_unless_frozen(session, customer: int, tail: str, sender_id: str) -> bool:
    if accounts.find_card(session, customer, tail).status == "frozen":
        return True
    cards.freeze_card(session, customer, tail, "疑似欺诈", sender_id)
    return True
