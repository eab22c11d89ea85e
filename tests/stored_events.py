"""Rows of Rasa's tracker store (table ``events``) as tests read them: the ``data`` column decrypted with
the key the assistant's processes use (bot/event_cipher.py). A row the running assistant stored in the
clear fails the test: customers' messages and slots are encrypted at rest."""

import json
from functools import lru_cache

from bot.event_cipher import EventCipher


@lru_cache(maxsize=1)
def _cipher() -> EventCipher:
    return EventCipher.from_env()


def event_data(stored: str) -> dict:
    assert not EventCipher.is_clear(stored), f"an event stored in the clear: {stored[:60]}…"
    return json.loads(_cipher().decrypt(stored))
