"""An HTTP SMS gateway: ``POST {"phone": …, "text": …}`` as JSON with a bearer token.

Any 2xx answer is taken as accepted; anything else (no answer in time, refused connection, an
error status, no token configured) raises SmsNotSent naming the problem, the phone masked."""

import logging

import requests

from actions.bank.money import mask_phone, normalize_phone
from actions.bank.sms.errors import SmsNotSent

logger = logging.getLogger(__name__)


class HttpSmsGateway:
    demo = False

    def __init__(self, url: str, token: str, timeout: float):
        self.url, self.token, self.timeout = url, token, timeout

    def send(self, phone: str, text: str, conversation: str | None = None) -> None:
        phone = normalize_phone(phone)
        if not self.token:
            raise SmsNotSent(f"SMS_GATEWAY_TOKEN is not set for the gateway {self.url}")
        body = {"phone": phone, "text": text, **({"reference": conversation} if conversation else {})}
        try:
            answer = requests.post(
                self.url, json=body, headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout
            )
        except requests.RequestException as error:
            raise SmsNotSent(
                f"SMS gateway {self.url} unreachable for {mask_phone(phone)}: {type(error).__name__}"
            ) from error
        if not answer.ok:
            raise SmsNotSent(
                f"SMS gateway {self.url} refused the message to {mask_phone(phone)}: HTTP {answer.status_code}"
            )
        logger.info("SMS to %s accepted by the gateway", mask_phone(phone))
