"""The confirmation question: a quote from the customer's data before anything changes."""

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import BankError
from actions.cards import freeze_summary
from actions.common import active_form, bank_session, customer_id, tell_error
from actions.installment import installment_summary
from actions.loan import loan_summary
from actions.questions import ask
from actions.repay import repay_summary
from actions.reply_values import line
from actions.transfer import transfer_summary

CONFIRMATION_SUMMARIES = {
    "repay_form": repay_summary,
    "installment_form": installment_summary,
    "transfer_form": transfer_summary,
    "card_loss_form": freeze_summary,
    "fraud_form": freeze_summary,
    "loan_form": loan_summary,
}


class ActionAskConfirm(Action):
    def name(self) -> str:
        return "action_ask_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        summarise = CONFIRMATION_SUMMARIES[active_form(tracker) or ""]
        try:
            with bank_session() as session:
                reply = summarise(session, customer_id(tracker), tracker)
        except BankError as error:
            tell_error(dispatcher, error)
            reply = line("utter_ask_confirm_anyway")
        ask(dispatcher, tracker, "confirm", **reply)
        return []
