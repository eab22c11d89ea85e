"""Errors the banking services raise for bad requests.

Every error carries a stable ``code`` (for logic and tests) and a polite
Simplified Chinese ``message`` that can be shown to the customer as is.
"""


class BankError(Exception):
    code = "bank_error"
    default_message = "抱歉，这笔业务暂时无法办理，请稍后再试。"

    def __init__(self, message: str | None = None, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(self.message)


class NotFound(BankError):
    code = "not_found"
    default_message = "抱歉，没有找到相关信息，请您核对后再试。"


class CustomerNotFound(NotFound):
    code = "customer_not_found"
    default_message = "抱歉，没有找到与这个手机号关联的客户，请您核对手机号后再试。"


class CardNotFound(NotFound):
    code = "card_not_found"
    default_message = "抱歉，没有找到您名下这个尾号的卡片，请您核对卡号后四位后再试。"


class PayeeNotFound(NotFound):
    code = "payee_not_found"
    default_message = "抱歉，您的常用收款人里没有这位联系人，请先添加收款人后再转账。"


class ProductNotFound(NotFound):
    code = "product_not_found"
    default_message = "抱歉，您目前还没有开通这项产品。"


class BillNotFound(NotFound):
    code = "bill_not_found"
    default_message = "您目前没有需要处理的账单。"


class InvalidInput(BankError):
    code = "invalid_input"
    default_message = "抱歉，您提供的信息有误，请核对后再试。"


class InvalidAmount(InvalidInput):
    code = "invalid_amount"
    default_message = "抱歉，金额有误，请输入大于0且不超过一千万元的金额，最多精确到分。"


class InvalidDateRange(InvalidInput):
    code = "invalid_date_range"
    default_message = "抱歉，查询的日期范围有误，请重新告诉我起止日期。"


class AmbiguousCard(InvalidInput):
    code = "ambiguous_card"
    default_message = "您名下有多张卡片，请告诉我要使用哪张卡的后四位。"


class InsufficientFunds(BankError):
    code = "insufficient_funds"
    default_message = "抱歉，这张卡的可用余额不足，请调整金额或换一张卡。"


class OverLimit(BankError):
    code = "over_limit"
    default_message = "抱歉，金额超出了可用额度。"


class DailyLimitExceeded(OverLimit):
    code = "daily_limit_exceeded"
    default_message = "抱歉，这笔转账超出了今日剩余的转账限额。"


class CardFrozen(BankError):
    code = "card_frozen"
    default_message = "抱歉，这张卡已被冻结，暂时无法办理这项业务。"


class CardAlreadyFrozen(BankError):
    code = "card_already_frozen"
    default_message = "这张卡已经处于冻结状态，无需重复操作，卡内资金是安全的。"


class NothingToRepay(BankError):
    code = "nothing_to_repay"
    default_message = "您本期账单已经还清，目前没有需要还款的金额。"


class RepayExceedsOwed(InvalidAmount):
    code = "repay_exceeds_owed"
    default_message = "还款金额超过了本期应还金额。"


class NotAllowed(BankError):
    code = "not_allowed"
    default_message = "抱歉，目前无法办理这项业务。"
