"""How every account form checks an answer (shown on the card-loss form): alone, then at the bank."""

from rasa_sdk.executor import CollectingDispatcher

from actions.bank.errors import CardNotFound, InvalidAmount
from actions.cards import ValidateCardLossForm
from tests.actions.conftest import make_tracker, texts_of, verified


def check(tracker_slots, against_accounts, **options):
    dispatcher = CollectingDispatcher()
    result = ValidateCardLossForm().check_answer(
        "card_tail", "1234", dispatcher, make_tracker(tracker_slots), against_accounts, **options
    )
    return result, texts_of(dispatcher)


CARD_NOT_FOUND = "抱歉，没有找到您名下这个尾号的卡片，请您核对卡号后四位后再试。"
AMOUNT_INVALID = "抱歉，金额有误，请输入大于0且不超过一千万元的金额，最多精确到分。"


def refuse(session, customer):
    raise CardNotFound()


def test_an_answer_the_bank_accepts_is_kept(bank):
    assert check(verified(), lambda session, customer: None) == ({"card_tail": "1234"}, [])


def test_a_check_can_set_other_slots_instead(bank):
    result, _ = check(verified(), lambda session, customer: {"card_tail": "1234", "confirm": True})
    assert result == {"card_tail": "1234", "confirm": True}


def test_a_refusal_is_told_in_the_banks_words_and_asked_again(bank):
    assert check(verified(), refuse) == ({"card_tail": None}, [CARD_NOT_FOUND])
    result, _ = check(verified(), refuse, when_refused={"card_tail": None, "aborted": True})
    assert result == {"card_tail": None, "aborted": True}


def test_before_verification_only_the_answer_on_its_own_is_checked():
    assert check({}, refuse) == ({"card_tail": "1234"}, [])

    def not_a_number():
        raise InvalidAmount()

    assert check({}, refuse, on_its_own=not_a_number) == ({"card_tail": None}, [AMOUNT_INVALID])
