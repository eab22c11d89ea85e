"""Sending text messages (one-time codes) to customers' phones.

The sender is chosen by configuration: with ``SMS_GATEWAY_URL`` set, an HTTP SMS gateway
(``SMS_GATEWAY_TOKEN`` its bearer token, ``SMS_GATEWAY_TIMEOUT`` seconds, default 5); without it,
the demo outbox, a table read by ``make outbox``. Only the demo outbox is "demo mode": only then may
the bot tell the customer where the demo's codes appear.
"""

import logging
import os
from typing import Protocol

from actions.bank.sms.errors import SmsNotSent
from actions.bank.sms.gateway import HttpSmsGateway
from actions.bank.sms.outbox import DemoOutbox

__all__ = ["SmsNotSent", "SmsSender", "configured_sender", "otp_text"]

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 5.0


class SmsSender(Protocol):
    demo: bool  # the demo outbox: no real phone receives the message

    def send(self, phone: str, text: str, conversation: str | None = None) -> None:
        """Deliver ``text`` to ``phone`` or raise SmsNotSent."""


def configured_sender() -> SmsSender:
    url = os.environ.get("SMS_GATEWAY_URL", "").strip()
    if not url:
        return DemoOutbox()
    return HttpSmsGateway(url, os.environ.get("SMS_GATEWAY_TOKEN", "").strip(), timeout=_timeout())


def _timeout() -> float:
    raw = os.environ.get("SMS_GATEWAY_TIMEOUT", "").strip()
    try:
        seconds = float(raw) if raw else DEFAULT_TIMEOUT_S
    except ValueError:
        seconds = 0
    if seconds <= 0:
        logger.error(
            "SMS_GATEWAY_TIMEOUT must be a positive number of seconds, not %r: using %s", raw, DEFAULT_TIMEOUT_S
        )
        return DEFAULT_TIMEOUT_S
    return seconds


def otp_text(code: str, minutes: int) -> str:
    """The message that carries a one-time code (an SMS, not a bot reply: Rasa's responses never reach a phone)."""
    return f"您的验证码是{code}，{minutes}分钟内有效。工作人员不会向您索取验证码，请勿告诉他人。"
