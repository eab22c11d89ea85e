"""Identity verification that every account form starts with.

Each form lists ``phone`` and ``otp_code`` first in the domain; ``VerifiedFormValidator``
drops them once the session is verified. After three wrong codes the session is locked
and the form ends; its submit action then refuses (see ``require_customer``).
"""

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.answers import AnsweringFormValidator
from actions.bank.errors import BankError
from actions.bank.services import identity
from actions.common import bank_session, customer_id

MAX_OTP_FAILURES = 3
VERIFICATION_SLOTS = ("phone", "otp_code")


# The demo bank sends no real SMS; its outbox is read with `make outbox`.
DEMO_NOTE_CHAT = "（演示环境：在终端运行 make outbox 可查看验证码）"
DEMO_NOTE_VOICE = "演示环境下，验证码可以在电脑终端里查看。请说出或按键输入6位验证码。"


class VerifiedFormValidator(AnsweringFormValidator, ABC):
    """Base validator: verification first, then the form's own slots."""

    @abstractmethod
    def name(self) -> str:
        """validate_<form name>"""

    async def required_slots(self, domain_slots, dispatcher, tracker, domain) -> list[str]:
        if tracker.get_slot("locked"):
            return []
        if tracker.get_slot("verified"):
            return [s for s in domain_slots if s not in VERIFICATION_SLOTS]
        return list(domain_slots)

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        try:
            with bank_session() as session:
                customer = identity.find_customer_by_phone(session, value)
                identity.issue_otp(session, value, tracker.sender_id)
        except BankError as error:
            dispatcher.utter_message(text=error.message)
            return {"phone": None}
        demo_note = DEMO_NOTE_VOICE if tracker.get_latest_input_channel() == "voice" else DEMO_NOTE_CHAT
        dispatcher.utter_message(text=f"验证码已发送到{customer.masked_phone}，5分钟内有效。{demo_note}")
        return {"phone": value}

    def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain
    ) -> dict[str, Any]:
        phone = tracker.get_slot("phone")
        if not phone:
            return {"otp_code": None}
        with bank_session() as session:
            if identity.check_otp(session, phone, tracker.sender_id, value):
                customer = identity.find_customer_by_phone(session, phone)
                dispatcher.utter_message(text=f"身份验证成功，{customer.name}您好。")
                return {"otp_code": value, "verified": True, "customer_id": str(customer.id), "otp_failures": 0}
        failures = int(tracker.get_slot("otp_failures") or 0) + 1
        if failures >= MAX_OTP_FAILURES:
            dispatcher.utter_message(
                text="验证码已连续输错3次，为保护您的账户安全，本次会话的身份验证已锁定。"
                "如需继续办理，请稍后重新联系我们或转人工客服。"
            )
            return {"otp_code": None, "otp_failures": failures, "locked": True}
        left = MAX_OTP_FAILURES - failures
        dispatcher.utter_message(text=f"验证码不正确，您还可以再试{left}次。")
        return {"otp_code": None, "otp_failures": failures}


def require_customer(dispatcher: CollectingDispatcher, tracker: Tracker) -> int | None:
    """The verified customer id, or None after telling the customer why not."""
    found = customer_id(tracker)
    if found is None:
        if tracker.get_slot("locked"):
            dispatcher.utter_message(
                text="抱歉，本次会话的身份验证已锁定，暂时无法查询或办理账户业务。需要的话我可以为您转人工客服。"
            )
        else:
            dispatcher.utter_message(text="为了保障您的账户安全，请先完成身份验证再办理这项业务。")
    return found
