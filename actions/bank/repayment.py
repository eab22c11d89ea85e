"""How much a repayment takes: one rule for credit card and 白条 bills and 金条 loans.

A customer repays everything owed (``full``), what is due this period (``minimum``), or an
amount of their own: more than zero, at most two decimals, and no more than is owed.
"""

from dataclasses import dataclass
from decimal import Decimal

from actions.bank.errors import InvalidInput, NothingToRepay, RepayExceedsOwed
from actions.bank.money import format_yuan, parse_amount

REPAY_MODES = ("full", "minimum")


@dataclass(frozen=True)
class Debt:
    name: str  # as the customer hears it: 本期信用卡账单, 金条借款
    owed: Decimal
    due_now: Decimal  # the part of this period's minimum payment still unpaid


def amount_to_repay(debt: Debt, amount=None, mode: str | None = None) -> Decimal:
    """The amount that repaying ``debt`` takes; give either ``amount`` or ``mode``."""
    if (amount is None) == (mode is None):
        raise InvalidInput("请告诉我要还款的金额，或者选择全额还款、最低还款。", code="repay_amount_missing")
    if debt.owed <= 0:
        raise NothingToRepay(f"您{debt.name}已经还清，目前没有需要还款的金额。")
    if mode is not None:
        if mode not in REPAY_MODES:
            raise InvalidInput("还款方式只能是全额还款或最低还款。", code="invalid_repay_mode")
        chosen = debt.owed if mode == "full" else debt.due_now
        if chosen <= 0:
            raise NothingToRepay(
                f"本期最低还款额已经还上了，剩余待还{format_yuan(debt.owed)}，如需继续还款请告诉我金额。",
                code="minimum_already_paid",
            )
        return chosen
    value = parse_amount(amount)
    if value > debt.owed:
        raise RepayExceedsOwed(f"{debt.name}待还{format_yuan(debt.owed)}，还款金额不能超过这个数，请重新告诉我金额。")
    return value


def amount_or_mode(value: str) -> dict[str, str]:
    """A repay slot value ("full", "minimum" or a number) as the keyword ``amount_to_repay`` takes."""
    return {"mode": value} if value in REPAY_MODES else {"amount": value}
