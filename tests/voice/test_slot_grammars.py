"""The next turn's grammar by the slot the bot asked for."""

from pathlib import Path

import yaml

from voice.slot_grammars import GRAMMAR_FOR_SLOT, grammar_for
from voice.stt import DIGITS_GRAMMAR

FORMS = Path(__file__).resolve().parents[2] / "bot" / "domain" / "forms.yml"


def test_the_phone_number_the_code_and_a_card_tail_are_listened_for_as_digits():
    assert [grammar_for(slot) for slot in ("phone", "otp_code", "card_tail")] == [DIGITS_GRAMMAR] * 3


def test_other_slots_and_no_slot_are_heard_freely():
    assert [grammar_for(slot) for slot in ("amount", "recipient", "confirm", "")] == [None] * 4


def test_every_slot_with_a_grammar_is_one_a_form_asks_for():
    forms = yaml.safe_load(FORMS.read_text(encoding="utf-8"))["forms"]
    asked = {slot for form in forms.values() for slot in form["required_slots"]}
    assert set(GRAMMAR_FOR_SLOT) <= asked
