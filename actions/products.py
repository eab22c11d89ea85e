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
    """Fills ``product`` from the message, or with the only product that has an open bill."""

    async def extract_product(self, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        said = product_in_message(tracker)
        if said:
            return {"product": said}
        customer = customer_id(tracker)
        if tracker.get_slot("product") or customer is None:
            return {}
        with bank_session() as session:
            open_bills = products_with_open_bills(session, customer)
        return {"product": open_bills[0]} if len(open_bills) == 1 else {}
