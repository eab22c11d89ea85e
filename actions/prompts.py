"""Questions a form asks that depend on the customer's data (cards, products, quotes)."""

import json

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import BankError
from actions.bank.services import credit, lookup
from actions.cards import freeze_summary
from actions.common import bank_session, button, customer_id
from actions.installment import installment_summary
from actions.loan import loan_summary
from actions.repay import repay_summary
from actions.transfer import transfer_summary

CONFIRMATION_SUMMARIES = {
    "repay_form": repay_summary,
    "installment_form": installment_summary,
    "transfer_form": transfer_summary,
    "card_loss_form": freeze_summary,
    "fraud_form": freeze_summary,
    "loan_form": loan_summary,
}
PAYING_FORMS = ("repay_form", "transfer_form")


def inform_payload(entity: str, value: str) -> str:
    return "/inform" + json.dumps({entity: value}, ensure_ascii=False)


def active_form(tracker: Tracker) -> str | None:
    return (tracker.active_loop or {}).get("name")


class ActionAskConfirm(Action):
    def name(self) -> str:
        return "action_ask_confirm"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        summarise = CONFIRMATION_SUMMARIES[active_form(tracker)]
        try:
            with bank_session() as session:
                text = summarise(session, customer_id(tracker), tracker)
        except BankError as error:
            text = f"{error.message}如仍要继续，请回复“确认”；不办了请回复“取消”。"
        dispatcher.utter_message(text=text, buttons=[button("确认", "/affirm"), button("取消", "/cancel")])
        return []


class ActionAskProduct(Action):
    def name(self) -> str:
        return "action_ask_product"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        verb = "还款" if active_form(tracker) == "repay_form" else "分期"
        with bank_session() as session:
            lines = credit.credit_lines(session, customer_id(tracker))
        dispatcher.utter_message(
            text=f"请问您要{verb}的是哪个账单？",
            buttons=[button(line.product_name, inform_payload("account_type", line.product)) for line in lines],
        )
        return []


class ActionAskCardTail(Action):
    def name(self) -> str:
        return "action_ask_card_tail"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        paying = active_form(tracker) in PAYING_FORMS
        with bank_session() as session:
            customer = customer_id(tracker)
            tails = [a.card_number[-4:] for a in lookup.savings_accounts(session, customer)]
            if not paying:
                tails += [line.card_tail for line in credit.credit_lines(session, customer) if line.card_tail]
        question = "请问从哪张储蓄卡付款？请告诉我卡号后四位。" if paying else "请问是哪张卡？请告诉我卡号后四位。"
        dispatcher.utter_message(
            text=question, buttons=[button(f"尾号{tail}", inform_payload("card_tail", tail)) for tail in tails]
        )
        return []
