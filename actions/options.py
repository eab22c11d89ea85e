"""The choices a question offers: shown as buttons, and read back when the customer answers
by position (第二个). Only choices the bot would accept are offered: a frozen card is not
offered to pay from, a bill already paid is not offered to repay."""

import json
from dataclasses import dataclass
from typing import Any

from rasa_sdk import Tracker

from actions.bank.services import credit, loans, lookup, transfers
from actions.common import active_form, bank_session, button, customer_id
from actions.products import products_with_open_bills

INSTALLMENT_COUNTS = (3, 6, 12, 24)
PAYING_FORMS = ("repay_form", "transfer_form")


@dataclass(frozen=True)
class Option:
    title: str
    slot_value: Any
    payload: str

    def as_button(self) -> dict[str, str]:
        return button(self.title, self.payload)


def inform(entity: str, value: Any) -> str:
    return "/inform" + json.dumps({entity: value}, ensure_ascii=False)


def options(slot: str, tracker: Tracker) -> list[Option]:
    form, customer = active_form(tracker), customer_id(tracker)
    if slot == "installment_count":
        return [Option(f"{n}期", n, inform("installment_count", n)) for n in INSTALLMENT_COUNTS]
    if slot == "term_months":
        return [Option(f"{n}个月", n, inform("term_months", n)) for n in loans.LOAN_TERMS]
    if slot == "loan_purpose":
        return [Option(p, p, inform("loan_purpose", p)) for p in loans.LOAN_PURPOSES]
    if slot == "amount" and form == "repay_form":
        return [
            Option("全部还清", "full", inform("repay_mode", "full")),
            Option("还最低", "minimum", inform("repay_mode", "minimum")),
        ]
    if slot == "confirm":
        return [Option("确认", True, "/affirm"), Option("取消", False, "/cancel")]
    if customer is None:
        return []
    with bank_session() as session:
        return _customer_options(session, slot, form, customer)


def _customer_options(session, slot: str, form: str | None, customer: int) -> list[Option]:
    if slot == "product":
        names = {line.product: line.product_name for line in credit.credit_lines(session, customer)}
        products = products_with_open_bills(session, customer) if form == "repay_form" else list(names)
        return [Option(names[p], p, inform("account_type", p)) for p in products]
    if slot == "recipient":
        return [Option(p.name, p.name, inform("recipient", p.name)) for p in transfers.payees(session, customer)]
    if slot == "card_tail":
        tails = [a.card_number[-4:] for a in lookup.savings_accounts(session, customer) if a.status == "active"]
        if form not in PAYING_FORMS:
            tails += [line.card_tail for line in credit.credit_lines(session, customer) if line.card_tail]
            tails = [t for t in tails if t not in _frozen_credit_tails(session, customer)]
        return [Option(f"尾号{t}", t, inform("card_tail", t)) for t in tails]
    return []


def _frozen_credit_tails(session, customer: int) -> set[str]:
    return {
        line.card_tail for line in credit.credit_lines(session, customer) if line.card_tail and line.status != "active"
    }


def option_at(slot: str, tracker: Tracker, position: int) -> Any:
    """The value of the option at ``position`` (1-based), or None."""
    found = options(slot, tracker)
    return found[position - 1].slot_value if 0 < position <= len(found) else None
