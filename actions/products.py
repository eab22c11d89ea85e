"""Which credit product (信用卡 or 白条) a repay or installment request is about."""

from typing import Any

from rasa_sdk import Tracker

from actions.bank.errors import BankError
from actions.bank.services import credit
from actions.common import bank_session, customer_id

CREDIT_PRODUCTS = ("credit_card", "baitiao")


def product_in_message(tracker: Tracker) -> str | None:
    for entity in tracker.latest_message.get("entities", []):
        if entity.get("entity") == "account_type" and entity.get("value") in CREDIT_PRODUCTS:
            return entity["value"]
    return None


def products_with_open_bills(session, customer: int) -> list[str]:
    found = []
    for line in credit.credit_lines(session, customer):
        try:
            if credit.current_bill(session, customer, line.product).remaining > 0:
                found.append(line.product)
        except BankError:
            continue
    return found


class CreditProductMixin:
    """``product`` from the message; else the only product with an open bill, or the one just
    discussed; a customer with no bill to act on is told so and the request ends."""

    no_bill_response = "utter_no_open_bill"
    no_credit_response = "utter_no_credit_product"

    async def extract_product(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        said = product_in_message(tracker)
        return {"product": said} if said else {}

    async def default_product(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        customer = customer_id(tracker)
        if customer is None:
            return {}
        with bank_session() as session:
            candidates = self.candidate_products(session, customer)
            has_credit = bool(credit.credit_lines(session, customer))
        if not candidates:
            dispatcher.utter_message(response=self.no_bill_response if has_credit else self.no_credit_response)
            return {"aborted": True}
        if len(candidates) == 1:
            return {"product": candidates[0]}
        discussed = tracker.get_slot("context_product")  # the bill just shown or paid
        return {"product": discussed} if discussed in candidates else {}

    def candidate_products(self, session, customer: int) -> list[str]:
        return products_with_open_bills(session, customer)
