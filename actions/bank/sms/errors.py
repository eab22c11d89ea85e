"""Why a message was not sent."""


class SmsNotSent(Exception):
    """The message did not reach the gateway, or the gateway refused it; ``str()`` names the problem (for logs)."""
