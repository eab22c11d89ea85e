"""The questions forms ask. Choices come from ``actions.options`` as buttons; the third time
the same question is asked without an answer, it also offers a person.

They are actions rather than domain responses so that ``rasa data validate
--fail-on-warnings`` does not count form questions as unused responses.
"""

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import button
from actions.options import options

ASKED_TWICE = 2
HELP = "如果不方便回答，可以点选下面的选项，或者说“转人工”，由人工客服为您办理。"


def ask(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str, text: str) -> None:
    buttons = [o.as_button() for o in options(slot, tracker)]
    if int(tracker.get_slot("unanswered_turns") or 0) >= ASKED_TWICE:
        text, buttons = f"{text}{HELP}", [*buttons, button("转人工", "/request_human")]
    dispatcher.utter_message(text=text, buttons=buttons)


class Question(Action, ABC):
    """Asks ``text`` for ``slot`` (``form`` set for form-specific wording)."""

    form = ""
    text = ""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot asked for; subclasses set it as a class attribute."""

    def name(self) -> str:
        prefix = f"{self.form}_" if self.form else ""
        return f"action_ask_{prefix}{self.slot}"

    def question(self, tracker: Tracker) -> str:
        return self.text

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        ask(dispatcher, tracker, self.slot, self.question(tracker))
        return []


class AskPhone(Question):
    slot = "phone"
    text = "为了保障您的账户安全，需要先验证身份。请告诉我您在本行登记的手机号码。"


class AskOtpCode(Question):
    slot = "otp_code"
    text = "请告诉我短信里收到的6位验证码。"


class AskRecipient(Question):
    slot = "recipient"
    text = "请问要转给谁？请说出收款人的姓名。"


class AskInstallmentCount(Question):
    slot = "installment_count"
    text = "请问您想分几期？可选3期、6期、12期或24期。"


class AskTermMonths(Question):
    slot = "term_months"
    text = "请问您想借多久？可选3、6、12、24或36个月。"


class AskLoanPurpose(Question):
    slot = "loan_purpose"
    text = "请问借款用途是什么？"


class AskRepayAmount(Question):
    form, slot = "repay_form", "amount"
    text = "请问您想还多少？可以说具体金额，也可以说“全部还清”或“还最低”。"


class AskTransferAmount(Question):
    form, slot = "transfer_form", "amount"
    text = "请问要转多少钱？"

    def question(self, tracker: Tracker) -> str:
        recipient = tracker.get_slot("recipient")
        return f"请问要给{recipient}转多少钱？" if recipient else self.text


class AskLoanAmount(Question):
    form, slot = "loan_form", "amount"
    text = "请问您想借多少钱？单笔可借¥1,000.00至¥200,000.00。"


class AskProduct(Question):
    slot = "product"

    def question(self, tracker: Tracker) -> str:
        verb = "还款" if tracker.active_loop_name == "repay_form" else "分期"
        return f"请问您要{verb}的是哪个账单？"


class AskCardTail(Question):
    slot = "card_tail"

    def question(self, tracker: Tracker) -> str:
        if tracker.active_loop_name in ("repay_form", "transfer_form"):
            return "请问从哪张储蓄卡付款？请告诉我卡号后四位。"
        return "请问是哪张卡？请告诉我卡号后四位。"
