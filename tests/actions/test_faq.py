"""action_answer_faq: says the selected FAQ's answer, the spoken one on calls."""

from rasa_sdk import Tracker

from actions.faq import ActionAnswerFaq
from tests.actions.conftest import run

ANSWERS = [
    {"text": "转账一般实时到账，跨行最晚下一个工作日到账。"},
    {"text": "转账一般实时到账，跨行最晚下个工作日到。", "channel": "voice"},
]


def tracker(answers, channel="rest") -> Tracker:
    latest = {
        "text": "转账多久到",
        "intent": {"name": "faq", "confidence": 0.9},
        "entities": [],
        "response_selector": {"faq": {"response": {"responses": answers, "intent_response_key": "faq/transfer_time"}}},
    }
    events = [{"event": "user", "text": "转账多久到", "input_channel": channel, "parse_data": latest}]
    return Tracker("someone", {}, latest, events, False, None, {}, "action_listen")


def test_chat_gets_the_chat_answer():
    texts, _, events = run(ActionAnswerFaq(), tracker(ANSWERS))
    assert texts == [ANSWERS[0]["text"]] and events == []


def test_a_call_gets_the_spoken_answer():
    assert run(ActionAnswerFaq(), tracker(ANSWERS, channel="voice"))[0] == [ANSWERS[1]["text"]]


def test_a_call_gets_the_chat_answer_when_there_is_no_spoken_one():
    assert run(ActionAnswerFaq(), tracker(ANSWERS[:1], channel="voice"))[0] == [ANSWERS[0]["text"]]


def test_without_a_selected_faq_the_customer_is_told_politely():
    assert run(ActionAnswerFaq(), tracker([]))[0] == [
        "抱歉，这个问题我暂时答不上来。您可以换个说法，或者说“转人工”由客服为您解答。"
    ]
