"""How every account form checks an answer (shown on the card-loss form): alone, then at the bank."""

from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import CardNotFound, InvalidAmount
from actions.cards import ValidateCardLossForm
from tests.actions.conftest import make_tracker, verified


def check(tracker_slots, against_accounts, **options):
    dispatcher = CollectingDispatcher()
    result = ValidateCardLossForm().check_answer(
        "card_tail", "1234", dispatcher, make_tracker(tracker_slots), against_accounts, **options
    )
    return result, [m.get("text") for m in dispatcher.messages]


def refuse(session, customer):
    raise CardNotFound()


def test_an_answer_the_bank_accepts_is_kept(bank):
    assert check(verified(), lambda session, customer: None) == ({"card_tail": "1234"}, [])


def test_a_check_can_set_other_slots_instead(bank):
    result, _ = check(verified(), lambda session, customer: {"card_tail": "1234", "confirm": True})
    assert result == {"card_tail": "1234", "confirm": True}


def test_a_refusal_is_told_in_the_banks_words_and_asked_again(bank):
    assert check(verified(), refuse) == ({"card_tail": None}, [CardNotFound.default_message])
    result, _ = check(verified(), refuse, when_refused={"card_tail": None, "aborted": True})
    assert result == {"card_tail": None, "aborted": True}


def test_before_verification_only_the_answer_on_its_own_is_checked():
    assert check({}, refuse) == ({"card_tail": "1234"}, [])

    def not_a_number():
        raise InvalidAmount()

    assert check({}, refuse, on_its_own=not_a_number) == ({"card_tail": None}, [InvalidAmount.default_message])
