"""What the recognizer listens for while the bot waits for the value of a slot.

The assistant names the slot a message asks for (``requested_slot`` of the voice channel's
messages, the form slots of bot/domain/forms.yml); a slot not listed here is heard freely.
"""

from typing import Optional

from voice.stt import DIGITS_GRAMMAR

GRAMMAR_FOR_SLOT: dict[str, tuple[str, ...]] = {
    "phone": DIGITS_GRAMMAR,
    "otp_code": DIGITS_GRAMMAR,
    "card_tail": DIGITS_GRAMMAR,
}


def grammar_for(slot: str) -> Optional[tuple[str, ...]]:
    return GRAMMAR_FOR_SLOT.get(slot)
