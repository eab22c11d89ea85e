"""How much a repayment takes: one rule for credit card and 白条 bills and 金条 loans.

A customer repays everything owed (``full``), what is due this period (``minimum``), or an
amount of their own: more than zero, at most two decimals, and no more than is owed.
"""

from dataclasses import dataclass
from decimal import Decimal

from actions.bank.errors import InvalidInput, NothingToRepay, RepayExceedsOwed
from actions.bank.money import parse_amount

REPAY_MODES = ("full", "minimum")


@dataclass(frozen=True)
class Debt:
    name: str  # as the customer hears it: 本期信用卡账单, 金条借款
    owed: Decimal
    due_now: Decimal  # the part of this period's minimum payment still unpaid


def amount_to_repay(debt: Debt, amount=None, mode: str | None = None) -> Decimal:
    """The amount that repaying ``debt`` takes; give either ``amount`` or ``mode``."""
    if (amount is None) == (mode is None):
        raise InvalidInput("repay_amount_missing")
    if debt.owed <= 0:
        raise NothingToRepay(debt=debt.name)
    if mode is not None:
        if mode not in REPAY_MODES:
            raise InvalidInput("invalid_repay_mode", mode=mode)
        chosen = debt.owed if mode == "full" else debt.due_now
        if chosen <= 0:
            raise NothingToRepay("minimum_already_paid", debt=debt.name, owed=debt.owed)
        return chosen
    value = parse_amount(amount)
    if value > debt.owed:
        raise RepayExceedsOwed(debt=debt.name, owed=debt.owed, amount=value)
    return value


def amount_or_mode(value: str) -> dict[str, str]:
    """A repay slot value ("full", "minimum" or a number) as the keyword ``amount_to_repay`` takes."""
    return {"mode": value} if value in REPAY_MODES else {"amount": value}
