"""Which customer messages the bot failed, and why: fell back, low confidence, rephrased, asked for a
person; and the messages that are not failures (understood, a form's answer, a button, keys, an offer
answered, written while an agent held the conversation)."""

import pytest

from actions.fallback import MISSES, OFFERS
from bot.review import failures
from bot.review.failures import (
    FALLBACK,
    FALLBACK_ACTIONS,
    HUMAN,
    LOW,
    OFFER_ANSWERS,
    REPHRASED,
    conversation_of_key,
    detect,
    dice,
    message_key,
)
from tests.bot.review.conversations import Talk


def chat() -> Talk:
    return Talk("t", "2026-03-02", "10:00")


def messages(talk: Talk) -> list[failures.FailedMessage]:
    return detect([event.as_dict() for event in talk.events], talk.sender)


def found(talk: Talk) -> dict[str, tuple[str, ...]]:
    """text → reasons of each failed message."""
    return {m.text: m.reasons for m in messages(talk)}


def test_the_fallback_actions_are_those_of_actions_fallback():
    assert set(MISSES) <= FALLBACK_ACTIONS
    assert {yes for _, yes, _ in OFFERS} | {no for _, _, no in OFFERS} == OFFER_ANSWERS


# ----------------------------------------------------------------------------- each reason


def test_a_message_the_fallback_answered_fell_back():
    talk = (
        chat()
        .customer("网点几点开门", "nlu_fallback", 0.4)
        .action("action_clarify")
        .bot("抱歉，我没有听懂。", "utter_ask_what_for")
        .listen()
    )
    assert found(talk) == {"网点几点开门": (FALLBACK,)}


def test_out_of_scope_answered_by_cannot_handle_fell_back_and_so_did_rasas_default_fallback():
    talk = (
        chat()
        .customer("明天天气怎么样", "out_of_scope", 0.99)
        .action("action_cannot_handle")
        .bot("抱歉，这个问题超出了我的服务范围。", "utter_out_of_scope")
        .listen()
    )
    talk.now += 600  # long after: not a follow-up
    talk.customer("帮我看看那个", "check_balance", 0.7).action("action_default_fallback").listen()
    assert found(talk) == {"明天天气怎么样": (FALLBACK,), "帮我看看那个": (FALLBACK,)}


def test_a_low_confidence_answer_is_reported_with_its_intent_and_confidence():
    talk = (
        chat().customer("卡里的钱够不够还", "repay", 0.52).form_starts("repay_form", "请提供手机号。", "phone").listen()
    )
    [message] = messages(talk)
    assert (message.text, message.reasons, message.intent, message.confidence) == (
        "卡里的钱够不够还",
        (LOW,),
        "repay",
        0.52,
    )
    assert (message.channel, message.conversation_id, message.asr_confidence) == ("chat", "t", None)


def test_after_a_miss_the_customers_next_attempt_makes_it_rephrased_and_is_kept_as_the_hint():
    talk = (
        chat()
        .customer("钱的问题", "nlu_fallback", 0.4)
        .action("action_clarify")
        .bot("请问您想办理什么业务？", "utter_ask_what_for")
        .listen()
        .customer("就是想查查卡里还剩多少钱", "check_balance", 0.98)
        .form_starts("balance_form", "请提供手机号。", "phone")
        .listen()
    )
    [message] = messages(talk)
    assert message.reasons == (FALLBACK, REPHRASED)
    assert message.rephrased_as == {"text": "就是想查查卡里还剩多少钱", "intent": "check_balance", "confidence": 0.98}


def test_nearly_the_same_words_understood_as_something_else_make_an_answered_message_rephrased():
    talk = (
        chat()
        .faq_answered("信用卡年费怎么收", "annual_fee", "普卡首年免年费。", 0.9)
        .faq_answered("信用卡年费怎么退", "annual_fee_refund", "年费可以申请退还。", 0.8)
    )
    assert found(talk) == {"信用卡年费怎么收": (REPHRASED,)}


def test_a_new_question_after_an_answer_is_not_a_rephrase_nor_is_the_same_question_understood_the_same():
    talk = (
        chat()
        .faq_answered("信用卡年费怎么收", "annual_fee", "普卡首年免年费。", 0.9)
        .faq_answered("信用卡年费是怎么收", "annual_fee", "普卡首年免年费。", 0.9)
        .customer("我要转账", "transfer_money", 0.97)
        .form_starts("transfer_form", "请提供手机号。", "phone")
        .listen()
    )
    assert found(talk) == {}


def test_a_request_for_a_person_right_after_an_answer_marks_the_answered_message():
    talk = (
        chat()
        .faq_answered("信用卡年费多少", "annual_fee", "普卡首年免年费。", 0.9)
        .asks_for_a_person()
        .bot("正在为您转接人工客服。", "utter_handed_off")
        .listen()
    )
    assert found(talk) == {"信用卡年费多少": (HUMAN,)}


def test_a_call_carries_the_recognizers_confidence():
    talk = (
        Talk("c", "2026-03-02", "10:00", channel="voice")
        .customer("嗯那个", "nlu_fallback", 0.4, asr=0.41)
        .action("action_clarify")
        .bot("抱歉，我没有听清。", "utter_default")
        .listen()
    )
    [message] = messages(talk)
    assert (message.channel, message.asr_confidence, message.reasons) == ("call", 0.41, (FALLBACK,))


# ----------------------------------------------------------------------------- not failures


def test_a_forms_answer_is_not_a_failure_whatever_the_intent():
    talk = (
        chat()
        .customer("我要转账", "transfer_money", 0.97)
        .form_starts("transfer_form", "请提供手机号。", "phone")
        .listen()
        .customer("幺三八 零零幺三 八零零零", "out_of_scope", 0.81)
        .form_asks("transfer_form", "请问转多少？", "amount")
        .listen()
        .customer("那 那先转十万", "nlu_fallback", 0.4)
        .form_completes("transfer_form")
        .action("action_submit_transfer")
        .bot("已转账。", "utter_transferred")
        .listen()
    )
    assert found(talk) == {}


def test_a_yes_the_fallback_read_as_the_answer_to_its_offer_is_understood():
    talk = (
        chat()
        .slot("handoff_offered", True)
        .customer("行吧那就这么办", "nlu_fallback", 0.4)
        .action("action_clarify", "action_handoff")
        .bot("正在为您转接人工客服。", "utter_handed_off")
        .listen()
    )
    assert found(talk) == {}


def test_buttons_keys_commands_the_greeting_and_textless_messages_are_skipped():
    talk = (
        chat()
        .system()
        .customer("/affirm", "affirm", 0.3, shown_as="是的")
        .listen()
        .customer("/repay", "repay", 0.3)
        .listen()
        .customer("？", "nlu_fallback", 0.4)
        .action("action_clarify")
        .listen()
        .customer("1234", "nlu_fallback", 0.4, via="dtmf")
        .action("action_clarify")
        .listen()
    )
    assert found(talk) == {}


def test_messages_written_while_an_agent_held_the_conversation_are_not_the_bots_failures():
    talk = (
        chat()
        .customer("我要投诉", "complain", 0.93)
        .action("action_handoff")
        .listen()
        .pause()
        .customer("你们这个东西怎么回事", "nlu_fallback", 0.2)
        .resume()
    )
    assert found(talk) == {}


def test_a_follow_up_must_come_soon_and_in_the_same_session():
    late = chat().faq_answered("信用卡年费多少", "annual_fee", confidence=0.9)
    late.now += failures.FOLLOW_UP_SECONDS + 1
    late.asks_for_a_person()
    assert found(late) == {}
    new_session = chat().faq_answered("信用卡年费多少", "annual_fee", confidence=0.9).new_session().asks_for_a_person()
    assert found(new_session) == {}


def test_steering_messages_and_complaints_before_a_request_for_a_person_are_not_failures():
    talk = (
        chat()
        .customer("你们App转账老是失败，我要投诉！", "complain", 0.99)
        .action("utter_complain")
        .listen()
        .asks_for_a_person()
        .listen()
    )
    assert found(talk) == {}


# ----------------------------------------------------------------------------- what staff see


def test_personal_numbers_are_masked_and_the_message_is_marked_personal():
    talk = (
        chat()
        .customer("我的卡号6222021234567890123怎么用不了", "nlu_fallback", 0.4)
        .action("action_clarify")
        .listen()
        .customer("卡用不了", "nlu_fallback", 0.4)
        .action("action_clarify")
        .listen()
    )
    first, second = messages(talk)
    assert first.text == "我的卡号***************0123怎么用不了" and first.personal
    assert "6222021234567890123" not in str(first.as_dict())
    assert second.text == "卡用不了" and not second.personal and second.original == "卡用不了"


def test_a_key_names_its_conversation_time_and_text():
    key = message_key("web@x#1", 1772416800.25, "白条是什么")
    assert key.startswith("web@x#1@1772416800.250000#")
    assert conversation_of_key(key) == "web@x#1"
    assert conversation_of_key("not a key") is None
    assert message_key("web", 1.0, "a") != message_key("web", 1.0, "b")


@pytest.mark.parametrize(
    ("first", "second", "similar"),
    [("信用卡年费怎么收", "信用卡年费怎么退", True), ("信用卡年费", "我要转账", False), ("", "a", False)],
)
def test_dice_similarity_of_character_bigrams(first, second, similar):
    assert (dice(first, second) >= failures.SAME_WORDS) == similar


# ----------------------------------------------------------------------------- from the tracker store


def test_the_seeded_store_fails_exactly_the_fallbacks_and_the_message_before_a_request_for_a_person(store):
    found = {(m.conversation_id, m.text): m for m in failures.find(store)}
    assert {key: m.reasons for key, m in found.items()} == {
        ("fallback", "啊吧啊吧"): (FALLBACK, REPHRASED),
        ("fallback", "asdf"): (FALLBACK, REPHRASED),
        ("callback", "信用卡年费多少"): (HUMAN,),
        ("call-1", "嗯"): (FALLBACK,),
    }
    assert found[("fallback", "asdf")].rephrased_as == {"text": "查余额", "intent": "check_balance", "confidence": 0.95}
    assert found[("call-1", "嗯")].asr_confidence == 0.41
    times = [m.at for m in failures.find(store)]
    assert times == sorted(times, reverse=True)


def test_the_store_is_read_by_when_a_message_was_said_and_one_conversation_by_its_id(store):
    from tests.bot.review.conversations import china

    on_the_3rd = failures.find(store, china("2026-03-03", "00:00"), china("2026-03-03", "12:00"))
    assert sorted(m.conversation_id for m in on_the_3rd) == ["callback", "fallback", "fallback"]
    assert [m.text for m in failures.in_conversation(store, "fallback")] == ["啊吧啊吧", "asdf"]
    assert failures.in_conversation(store, "nobody") == []
