"""Errors the banking services raise for bad requests.

An error names the problem with a stable ``code`` and carries the facts behind it as
``values`` (Decimal amounts, dates, names, card tails, lists): ``InsufficientFunds(card_tail="1234",
balance=Decimal("100.00"), amount=Decimal("8650.00"))``. The customer hears it through the
domain response ``utter_bank_<code>`` (bot/domain/bank_errors.yml, actions.common.tell_error);
``str(error)`` names code and values for logs and staff, never for customers.
"""

from typing import Any


class BankError(Exception):
    code = "bank_error"

    def __init__(self, code: str | None = None, **values: Any):
        if code:
            self.code = code
        self.values = values
        super().__init__(self.code)

    def __str__(self) -> str:
        facts = ", ".join(f"{name}={value}" for name, value in self.values.items())
        return f"{self.code} ({facts})" if facts else self.code


class NotFound(BankError):
    code = "not_found"


class CustomerNotFound(NotFound):
    code = "customer_not_found"


class CardNotFound(NotFound):
    code = "card_not_found"


class PayeeNotFound(NotFound):
    code = "payee_not_found"


class ProductNotFound(NotFound):
    code = "product_not_found"


class BillNotFound(NotFound):
    code = "bill_not_found"


class InvalidInput(BankError):
    code = "invalid_input"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"


class InvalidDateRange(InvalidInput):
    code = "invalid_date_range"


class AmbiguousCard(InvalidInput):
    code = "ambiguous_card"


class InsufficientFunds(BankError):
    code = "insufficient_funds"


class OverLimit(BankError):
    code = "over_limit"


class DailyLimitExceeded(OverLimit):
    code = "daily_limit_exceeded"


class CardFrozen(BankError):
    code = "card_frozen"


class CardAlreadyFrozen(BankError):
    code = "card_already_frozen"


class NothingToRepay(BankError):
    code = "nothing_to_repay"


class RepayExceedsOwed(InvalidAmount):
    code = "repay_exceeds_owed"


class NotAllowed(BankError):
    code = "not_allowed"
