"""Identity verification that every account form starts with.

Each form lists ``phone`` and ``otp_code`` first in the domain; ``VerifiedFormValidator``
drops them once the session is verified. After three wrong codes the session is locked
and the form ends; its submit action then refuses (see ``require_customer``).
"""

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.answers import AnsweringFormValidator
from actions.bank.errors import BankError
from actions.bank.services import identity
from actions.common import bank_session, customer_id, tell_error

MAX_OTP_FAILURES = 3
VERIFICATION_SLOTS = ("phone", "otp_code")


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
            tell_error(dispatcher, error)
            return {"phone": None}
        dispatcher.utter_message(response="utter_code_sent", phone=typed.phone(customer.masked_phone))
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
                dispatcher.utter_message(response="utter_verified", name=customer.name)
                return {"otp_code": value, "verified": True, "customer_id": str(customer.id), "otp_failures": 0}
        failures = int(tracker.get_slot("otp_failures") or 0) + 1
        if failures >= MAX_OTP_FAILURES:
            dispatcher.utter_message(response="utter_verification_locked_now")
            return {"otp_code": None, "otp_failures": failures, "locked": True}
        left = MAX_OTP_FAILURES - failures
        dispatcher.utter_message(response="utter_wrong_code", tries_left=left)
        return {"otp_code": None, "otp_failures": failures}


def require_customer(dispatcher: CollectingDispatcher, tracker: Tracker) -> int | None:
    """The verified customer id, or None after telling the customer why not."""
    found = customer_id(tracker)
    if found is None:
        if tracker.get_slot("locked"):
            dispatcher.utter_message(response="utter_verification_locked")
        else:
            dispatcher.utter_message(response="utter_verify_first")
    return found
