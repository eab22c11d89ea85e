"""Fixed questions the forms ask, with answer buttons where the choices are few.

They are actions rather than domain responses so that ``rasa data validate
--fail-on-warnings`` does not count form questions as unused responses.
"""

from abc import ABC, abstractmethod

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.bank.services.loans import LOAN_PURPOSES, LOAN_TERMS
from actions.common import button

INSTALLMENT_COUNTS = (3, 6, 12, 24)


class Question(Action, ABC):
    """Asks ``text``; subclasses set ``slot`` (and ``form`` for form-specific wording)."""

    slot = ""
    form = ""

    @property
    @abstractmethod
    def text(self) -> str:
        """The question."""

    def name(self) -> str:
        prefix = f"{self.form}_" if self.form else ""
        return f"action_ask_{prefix}{self.slot}"

    def buttons(self) -> list[dict[str, str]]:
        return []

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain):
        dispatcher.utter_message(text=self.text, buttons=self.buttons())
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

    def buttons(self):
        return [button(f"{n}期", f'/inform{{"installment_count": {n}}}') for n in INSTALLMENT_COUNTS]


class AskTermMonths(Question):
    slot = "term_months"
    text = "请问您想借多久？可选3、6、12、24或36个月。"

    def buttons(self):
        return [button(f"{n}个月", f'/inform{{"term_months": {n}}}') for n in LOAN_TERMS]


class AskLoanPurpose(Question):
    slot = "loan_purpose"
    text = "请问借款用途是什么？"

    def buttons(self):
        return [button(p, f'/inform{{"loan_purpose": "{p}"}}') for p in LOAN_PURPOSES]


class AskRepayAmount(Question):
    form, slot = "repay_form", "amount"
    text = "请问您想还多少？可以说具体金额，也可以说“全部还清”或“还最低”。"

    def buttons(self):
        return [
            button("全部还清", '/inform{"repay_mode": "full"}'),
            button("还最低", '/inform{"repay_mode": "minimum"}'),
        ]


class AskTransferAmount(Question):
    form, slot = "transfer_form", "amount"
    text = "请问要转多少钱？"


class AskLoanAmount(Question):
    form, slot = "loan_form", "amount"
    text = "请问您想借多少钱？单笔可借¥1,000.00至¥200,000.00。"
