"""Sending text messages (one-time codes) to customers' phones.

The sender is chosen by configuration: with ``SMS_GATEWAY_URL`` set, an HTTP SMS gateway
(``SMS_GATEWAY_TOKEN`` its bearer token, ``SMS_GATEWAY_TIMEOUT`` seconds, default 5); without it,
the demo outbox, a table read by ``make outbox``. Only the demo outbox is "demo mode": only then may
the bot tell the customer where the demo's codes appear.
"""

import os
from typing import Protocol

from actions.bank.sms.errors import SmsNotSent
from actions.bank.sms.gateway import HttpSmsGateway
from actions.bank.sms.outbox import DemoOutbox

__all__ = ["SmsNotSent", "SmsSender", "configured_sender", "otp_text"]

DEFAULT_TIMEOUT_S = 5.0


class SmsSender(Protocol):
    demo: bool  # the demo outbox: no real phone receives the message

    def send(self, phone: str, text: str, conversation: str | None = None) -> None:
        """Deliver ``text`` to ``phone`` or raise SmsNotSent."""


def configured_sender() -> SmsSender:
    url = os.environ.get("SMS_GATEWAY_URL", "").strip()
    if not url:
        return DemoOutbox()
    return HttpSmsGateway(
        url,
        os.environ.get("SMS_GATEWAY_TOKEN", "").strip(),
        timeout=float(os.environ.get("SMS_GATEWAY_TIMEOUT") or DEFAULT_TIMEOUT_S),
    )


def otp_text(code: str, minutes: int) -> str:
    """The message that carries a one-time code (an SMS, not a bot reply: Rasa's responses never reach a phone)."""
    return f"您的验证码是{code}，{minutes}分钟内有效。工作人员不会向您索取验证码，请勿告诉他人。"
