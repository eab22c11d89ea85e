"""Identity verification that every account form starts with.

Each form lists ``phone`` and ``otp_code`` first in the domain; ``VerifiedFormValidator``
drops them once the session is verified. After three wrong codes the session is locked
and the form ends; its submit action then refuses (see ``require_customer``). The bank
also limits codes per phone across conversations (services.identity): a phone locked by
wrong codes, or out of codes for the hour, locks the session the same way.

Each step is keyed by the customer's message (``verification_key``), so a replay of the same call
(HAProxy's retry on another action server, a client re-sending the message) sends no second code
and counts no code twice: it gets the first call's answer.
"""

import base64
import hashlib
import json
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reply_values as typed
from actions.answers import AnsweringFormValidator
from actions.bank.errors import BankError
from actions.bank.services import identity
from actions.bank.sms import SmsNotSent, configured_sender, otp_text
from actions.common import bank_session, customer_id, latest_user_index, tell_error

logger = logging.getLogger(__name__)

MAX_OTP_FAILURES = 3
OTP_MINUTES = int(identity.OTP_VALIDITY.total_seconds() // 60)
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
        sender = configured_sender()
        request = verification_key(tracker, "phone", value)
        try:
            with bank_session() as session:
                customer = identity.find_customer_by_phone(session, value)
                code = identity.issue_otp(session, value, tracker.sender_id, request=request)
        except BankError as error:
            tell_error(dispatcher, error)
            return {"phone": None}
        except identity.OtpRefused as refused:
            return _refused(dispatcher, refused, "phone")
        if code is not None:  # None: a replay, and the customer has the first call's code
            try:
                sender.send(value, otp_text(code, OTP_MINUTES), conversation=tracker.sender_id)
            except SmsNotSent as error:
                logger.error("one-time code not sent: %s", error)
                dispatcher.utter_message(response="utter_code_not_sent")
                return {"phone": None}
            with bank_session() as session:
                identity.code_sent(session, request)
        sent = "utter_code_sent_demo" if sender.demo else "utter_code_sent"
        dispatcher.utter_message(response=sent, phone=typed.phone(customer.masked_phone))
        return {"phone": value}

    def validate_otp_code(
        self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain
    ) -> dict[str, Any]:
        phone = tracker.get_slot("phone")
        if not phone:
            return {"otp_code": None}
        try:
            with bank_session() as session:
                request = verification_key(tracker, "otp_code", value)
                if identity.check_otp(session, phone, tracker.sender_id, value, request=request):
                    customer = identity.find_customer_by_phone(session, phone)
                    dispatcher.utter_message(response="utter_verified", name=customer.name)
                    return {"otp_code": value, "verified": True, "customer_id": str(customer.id), "otp_failures": 0}
                locked_for = identity.minutes_locked(session, phone)  # this wrong code may have been the last try
        except identity.OtpRefused as refused:
            return _refused(dispatcher, refused, "otp_code")
        if locked_for is not None:
            return _refused(dispatcher, identity.PhoneLocked(locked_for), "otp_code")
        failures = int(tracker.get_slot("otp_failures") or 0) + 1
        if failures >= MAX_OTP_FAILURES:
            dispatcher.utter_message(response="utter_verification_locked_now")
            return {"otp_code": None, "otp_failures": failures, "locked": True}
        left = MAX_OTP_FAILURES - failures
        dispatcher.utter_message(response="utter_wrong_code", tries_left=left)
        return {"otp_code": None, "otp_failures": failures}


def verification_key(tracker: Tracker, step: str, value: Any) -> str | None:
    """The key of one verification step of the customer's latest message, the same however often the
    call is replayed: the conversation, the step, the message (its ``message_id``, which a client's
    re-send keeps, else its timestamp) and the value. None without a message to anchor to."""
    events = tracker.events or []
    last_user = latest_user_index(events)
    if last_user == len(events):
        return None
    message = events[last_user]
    anchor = message.get("message_id") or message.get("timestamp")
    if anchor is None:
        return None
    named = json.dumps([tracker.sender_id, step, anchor, str(value)], default=str)
    # base32, not hex: hex has runs of six digits that the search for leaked codes (tests/pii_scan.py) would flag
    return base64.b32encode(hashlib.sha256(named.encode()).digest()).decode().rstrip("=").lower()


def _refused(dispatcher: CollectingDispatcher, refused: identity.OtpRefused, slot: str) -> dict[str, Any]:
    """The phone may not have (or try) a code for a while: say so and end verification in this session."""
    response = "utter_phone_locked" if isinstance(refused, identity.PhoneLocked) else "utter_too_many_codes"
    dispatcher.utter_message(response=response, minutes=refused.minutes)
    return {slot: None, "locked": True}


def require_customer(dispatcher: CollectingDispatcher, tracker: Tracker) -> int | None:
    """The verified customer id, or None after telling the customer why not."""
    found = customer_id(tracker)
    if found is None:
        if tracker.get_slot("locked"):
            dispatcher.utter_message(response="utter_verification_locked")
        else:
            dispatcher.utter_message(response="utter_verify_first")
    return found
