"""Transcripts: who said what, what the bot understood, ASR confidence on calls, personal numbers masked."""

import pytest

from bot.review.masking import mask
from tests.bot.review.conversations import china


def said(transcript):
    return [(entry["from"], entry["text"]) for entry in transcript.entries]


def test_unknown_conversation_has_no_transcript(store):
    assert store.transcript("nobody") is None


def test_a_hand_off_shows_the_agent_and_what_the_customer_said_to_them(store):
    transcript = store.transcript("handoff-agent")
    assert transcript.sender_id == "handoff-agent"
    assert transcript.summary.outcome == "handed_off"
    assert said(transcript) == [
        ("customer", "我要投诉"),
        ("bot", "非常抱歉给您带来不便。"),
        ("bot", "正在为您转接人工客服，工单号H000013。"),
        ("bot", "客服王敏为您服务。"),
        ("customer", "我的卡号是***************0123"),
        ("agent", "好的，已核实卡号尾号0123，手机*******4321的验证码为******请勿外传"),
        ("bot", "客服已结束服务，我继续为您服务。"),
        ("customer", "谢谢"),
        ("bot", "不客气。"),
    ]
    complaint, card, agent = transcript.entries[0], transcript.entries[4], transcript.entries[5]
    assert complaint == {
        "from": "customer",
        "text": "我要投诉",
        "ts": china("2026-03-03", "10:00") + 3,
        "via": "chat",
        "intent": "complain",
        "confidence": 0.93,
        "input": "chat",
    }
    assert card["paused"] is True and "paused" not in complaint
    assert agent["agent"] == "王敏" and "intent" not in agent


def test_codes_phones_and_cards_are_masked_but_amounts_and_references_are_not(store):
    assert said(store.transcript("form-submitted")) == [
        ("customer", "我要转账"),
        ("bot", "为了保障您的账户安全，请提供手机号。"),
        ("customer", "*******5678"),
        ("bot", "验证码已发送到138****5678，请告诉我短信验证码。"),
        ("customer", "验证码是 ******"),
        ("bot", "请问转给谁、转多少？"),
        ("customer", "给张三转100000元"),
        ("bot", "已向张三转账¥100,000.00，参考号H000012。"),
    ]


def test_a_call_has_asr_confidence_and_the_faq_chosen(store):
    entries = store.transcript("call-1").entries
    customer = [entry for entry in entries if entry["from"] == "customer"]
    assert [(e["text"], e["intent"], e["confidence"], e["asr_confidence"]) for e in customer] == [
        ("查一下账单", "query_bill", 0.9, 0.82),
        ("*******五六七八", "inform", 0.97, 0.64),
        ("嗯", "nlu_fallback", 0.2, 0.41),
    ]
    assert {entry["via"] for entry in entries} == {"call"}
    assert entries[0] == {"from": "bot", "text": "您好，我是智能客服小金。", "ts": entries[0]["ts"], "via": "call"}

    faq, keys = [entry for entry in store.transcript("call-2").entries if entry["from"] == "customer"]
    assert (faq["faq"], faq["intent"], faq["input"]) == ("annual_fee", "faq", "speech")
    assert (keys["text"], keys["input"]) == ("••••", "dtmf")
    assert "asr_confidence" not in keys


def test_a_button_shows_its_title_and_the_greeting_the_page_sent_is_left_out(store):
    customer = [entry for entry in store.transcript("chat-next-week").entries if entry["from"] == "customer"]
    assert [(e["text"], e["input"], e.get("faq")) for e in customer] == [
        ("怎么注销信用卡", "chat", "cancel_card"),
        ("是的", "button", None),
        ("信用卡年费呢", "chat", "annual_fee"),
    ]
    assert said(store.transcript("faq-chat"))[0] == ("bot", "您好，我是智能客服小金。")


def test_as_dict_carries_the_summary(store):
    data = store.transcript("callback").as_dict()
    assert data["sender_id"] == "callback"
    assert data["summary"]["outcome"] == "callback" and data["summary"]["faqs"] == ["annual_fee"]
    assert data["entries"][-1]["text"] == "已登记回电，工单号H000014，客服会致电尾号5678的手机。"


@pytest.mark.parametrize(
    "text, shown",
    [
        ("13812345678", "*******5678"),
        ("身份证110101199003071234", "身份证**************1234"),
        ("卡号 6222 0212 3456 7890", "卡号 **** **** **** 7890"),
        ("138-1234-5678", "***-****-5678"),
        ("幺 三 八 一 二 三 四 五 六 七 八", "* * * * * * * 五 六 七 八"),
        ("2026-03-02到2026-03-09", "2026-03-02到2026-03-09"),
        ("3 5", "3 5"),
        ("验证码：654321。", "验证码：******。"),
        ("654321", "******"),
        ("转账100000元", "转账100000元"),
        ("转账100000", "转账******"),
        ("¥100000", "¥100000"),
        ("100000.50", "100000.50"),
        ("100,000.00", "100,000.00"),
        ("分12期", "分12期"),
        ("工单号H000012", "工单号H000012"),
        ("尾号1234", "尾号1234"),
        ("幺三八一二三四五六七八", "*******五六七八"),
        ("验证码六五四三二一", "验证码******"),
        ("一百二十三万", "一百二十三万"),
    ],
)
def test_masking(text, shown):
    assert mask(text) == shown
