import asyncio
import json

import pytest

from voice.assistant import Reply
from voice.web.gateway import HELD_AT_MOST, WebGateway
from voice.web.limits import RateLimit
from voice.web.protocol import MAX_TEXT, shown_messages

from .doubles import Browser, TrackerAssistant, settle

CONFIRM = [
    Reply("确认还款¥500.00吗？", [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/deny"}])
]


def gateway(assistant=None, **kwargs) -> WebGateway:
    return WebGateway(assistant or TrackerAssistant(), calls=None, clock=lambda: 100.0, **kwargs)


def run(coro):
    return asyncio.run(coro)


def test_a_new_conversation_gets_ready_an_empty_history_and_the_greeting():
    async def go():
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant)).open()
        kinds = [e["type"] for e in page.received()]
        assert kinds[:2] == ["ready", "history"] and page.of_type("history")[0]["messages"] == []
        assert page.of_type("ready")[0] == {
            "type": "ready", "max_text": MAX_TEXT, "call": {"available": False, "reason": "no_speech_model"}
        }  # fmt: skip
        assert page.bot_texts() == ["您好，请问有什么可以帮您？"]
        assert assistant.received == [("web-s1", "/greet", {"via": "system"}, None)]

    run(go())


def test_a_message_is_acknowledged_echoed_and_answered_in_the_sessions_conversation():
    async def go():
        assistant = TrackerAssistant({"查账单": [Reply("请告诉我您的手机号码。")]})
        page = await Browser(gateway(assistant)).open()
        await page.say("查账单", "m-00000001")
        events = [e for e in page.received() if e["type"] in ("ack", "message", "typing")][3:]  # after the greeting
        assert events[0] == {"type": "ack", "id": "m-00000001", "duplicate": False}
        assert events[1] == {
            "type": "message",
            "from": "customer",
            "text": "查账单",
            "ts": 100.0,
            "via": "chat",
            "id": "m-00000001",
        }
        assert [e["type"] for e in events[2:]] == ["typing", "message", "typing"]
        assert events[3]["text"] == "请告诉我您的手机号码。"
        assert assistant.received[-1] == ("web-s1", "查账单", {"via": "chat"}, "m-00000001")

    run(go())


def test_a_message_sent_again_is_acknowledged_not_answered_again_even_by_a_restarted_gateway():
    async def go():
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant)).open()
        await page.say("你好", "m-00000001")
        await page.say("你好", "m-00000001")
        assert [e["duplicate"] for e in page.of_type("ack")] == [False, True]
        restarted = await Browser(gateway(assistant)).open()  # same Rasa, fresh gateway memory
        await restarted.say("你好", "m-00000001")
        assert restarted.of_type("ack") == [{"type": "ack", "id": "m-00000001", "duplicate": True}]
        assert [r[1] for r in assistant.received] == ["/greet", "你好"]

    run(go())


def test_typed_text_is_never_taken_as_an_intent_but_shown_as_typed():
    async def go():
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant)).open()
        await page.say('/transfer{"amount": 99999}', "m-00000001")
        assert assistant.received[-1][1] == '／transfer{"amount": 99999}'
        assert [e["text"] for e in page.of_type("message") if e["from"] == "customer"] == ['/transfer{"amount": 99999}']

    run(go())


def test_only_the_buttons_the_bot_offered_can_be_pressed_and_they_show_as_their_titles():
    async def go():
        assistant = TrackerAssistant({"还款500": CONFIRM})
        page = await Browser(gateway(assistant)).open()
        page.send(type="button", id="m-00000001", payload="/affirm", title="确认")
        await settle()
        assert page.of_type("error") == [{"type": "error", "code": "bad_message", "id": "m-00000001"}]
        await page.say("还款500", "m-00000002")
        page.send(type="button", id="m-00000003", payload='/inform{"verified": true}', title="确认")
        page.send(type="button", id="m-00000004", payload="/affirm", title="随便写的")
        await settle()
        assert [e.get("id") for e in page.of_type("error")] == ["m-00000001", "m-00000003"]
        assert assistant.received[-1] == ("web-s1", "/affirm", {"via": "chat", "shown_as": "确认"}, "m-00000004")
        history = shown_messages(await assistant.history("web-s1"))
        assert [m["text"] for m in history if m["from"] == "customer"] == ["还款500", "确认"]

    run(go())


def test_empty_and_too_long_messages_are_refused_with_their_id():
    async def go():
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant)).open()
        await page.say("   ", "m-00000001")
        await page.say("长" * (MAX_TEXT + 1), "m-00000002")
        page.send(type="message", id="bad id!", text="你好")
        await settle()
        errors = page.of_type("error")
        assert [(e["code"], e.get("id")) for e in errors] == [
            ("bad_message", "m-00000001"), ("too_long", "m-00000002"), ("bad_message", None)
        ]  # fmt: skip
        assert [r[1] for r in assistant.received] == ["/greet"]

    run(go())


def test_a_session_that_sends_too_fast_is_told_to_wait():
    async def go():
        now = [0.0]
        limits = {"per_session": RateLimit(60, 2, lambda: now[0]), "per_address": RateLimit(600, 100, lambda: now[0])}
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant, **limits)).open()
        for n in range(3):
            await page.say(f"第{n}条", f"m-0000000{n}")
        assert page.of_type("error") == [
            {"type": "error", "code": "rate_limited", "id": "m-00000002", "retry_after": 1.0}
        ]
        now[0] += 1.0
        await page.say("第2条", "m-00000002")  # the page sends it again after retry_after
        assert [r[1] for r in assistant.received] == ["/greet", "第0条", "第1条", "第2条"]

    run(go())


def test_messages_after_one_refused_for_speed_wait_for_it_so_none_overtakes():
    async def go():
        now = [0.0]
        limits = {"per_session": RateLimit(60, 1, lambda: now[0]), "per_address": RateLimit(600, 100, lambda: now[0])}
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant, **limits)).open()
        await page.say("第0条", "m-00000000")
        await page.say("第1条", "m-00000001")  # refused: the bucket is empty
        now[0] += 1.0
        await page.say("第2条", "m-00000002")  # a token is free again, but 第1条 came first
        assert [(e["code"], e["id"]) for e in page.of_type("error")] == [
            ("rate_limited", "m-00000001"), ("rate_limited", "m-00000002")
        ]  # fmt: skip
        await page.say("第1条", "m-00000001")
        now[0] += 1.0
        await page.say("第2条", "m-00000002")
        assert [r[1] for r in assistant.received] == ["/greet", "第0条", "第1条", "第2条"]

    run(go())


def test_a_refused_message_that_never_comes_again_holds_the_later_ones_only_for_a_while():
    async def go():
        now = [0.0]
        limits = {"per_session": RateLimit(60, 1, lambda: now[0]), "per_address": RateLimit(600, 100, lambda: now[0])}
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant, **limits)).open()
        await page.say("第0条", "m-00000000")
        await page.say("第1条", "m-00000001")  # refused, and the page is closed before sending it again
        now[0] += 1.0 + HELD_AT_MOST
        await page.say("第2条", "m-00000002")
        assert [r[1] for r in assistant.received] == ["/greet", "第0条", "第2条"]

    run(go())


def test_an_address_is_limited_across_its_sessions():
    async def go():
        limits = {"per_session": RateLimit(60, 10, lambda: 0.0), "per_address": RateLimit(60, 2, lambda: 0.0)}
        chat = gateway(**limits)
        pages = [await Browser(chat, f"s{n}", address="10.0.0.9").open() for n in range(3)]
        for n, page in enumerate(pages):
            await page.say("你好", f"m-0000000{n}")
        assert [bool(p.of_type("error")) for p in pages] == [False, False, True]

    run(go())


def test_every_page_of_a_conversation_sees_it_and_no_other_session_does():
    async def go():
        chat = gateway()
        phone, laptop = await Browser(chat, "s1").open(), await Browser(chat, "s1").open()
        stranger = await Browser(chat, "s2").open()
        await phone.say("查余额", "m-00000001")
        assert phone.bot_texts()[-1] == laptop.bot_texts()[-1] == "您说的是：查余额"
        assert [m["text"] for m in laptop.of_type("history")[0]["messages"]] == ["您好，请问有什么可以帮您？"]
        assert "您说的是：查余额" not in stranger.bot_texts()
        assert all("查余额" not in json.dumps(e, ensure_ascii=False) for e in stranger.received())

    run(go())


def test_a_page_that_connects_mid_answer_gets_the_answer_once_in_its_history():
    async def go():
        assistant = TrackerAssistant({"查账单": [Reply("正在查询。"), Reply("本期应还¥8,650.00。")]})
        chat = gateway(assistant)
        first = await Browser(chat).open()
        assistant.hold = asyncio.Event()
        await first.say("查账单", "m-00000001")
        reconnecting = asyncio.create_task(Browser(chat).open())
        await settle()
        assert not reconnecting.done()  # waits until the answer is whole
        assistant.hold.set()
        second = await reconnecting
        shown = [m["text"] for m in second.of_type("history")[0]["messages"]]
        assert shown[-2:] == ["正在查询。", "本期应还¥8,650.00。"]
        assert second.bot_texts() == []  # nothing of it again, live

    run(go())


def test_the_history_hides_system_and_wordless_messages_masks_keys_marks_calls_and_names_agents():
    said = [
        {
            "from": "customer",
            "text": "/greet",
            "ts": 1,
            "message_id": "a",
            "channel": "web",
            "metadata": {"via": "system"},
        },
        {"from": "bot", "text": "您好", "ts": 2, "buttons": [], "channel": "web"},
        {
            "from": "customer",
            "text": "查账单",
            "ts": 3,
            "message_id": "b",
            "channel": "voice",
            "metadata": {"via": "speech"},
        },
        {
            "from": "customer",
            "text": "829375",
            "ts": 4,
            "message_id": "c",
            "channel": "voice",
            "metadata": {"via": "dtmf"},
        },
        {
            "from": "bot",
            "text": "验证成功",
            "ts": 5,
            "buttons": [{"title": "好", "payload": "/affirm", "x": 1}],
            "channel": "voice",
        },
        {"from": "bot", "text": "", "ts": 6, "buttons": [], "channel": "voice"},  # the hand-off's custom payload
        {"from": "agent", "agent": "王敏", "text": "您好", "ts": 7, "channel": "web"},
    ]
    assert shown_messages(said) == [
        {"from": "bot", "text": "您好", "buttons": [], "ts": 2, "via": "chat"},
        {"from": "customer", "text": "查账单", "ts": 3, "via": "call", "id": "b"},
        {"from": "customer", "text": "••••••", "ts": 4, "via": "call", "id": "c"},
        {"from": "bot", "text": "验证成功", "buttons": [{"title": "好", "payload": "/affirm"}], "ts": 5, "via": "call"},
        {"from": "agent", "agent": "王敏", "text": "您好", "ts": 7, "via": "chat"},
    ]


def test_an_unreachable_assistant_is_said_and_the_typing_indicator_stops():
    async def go():
        assistant = TrackerAssistant()
        page = await Browser(gateway(assistant)).open()
        assistant.down = True
        await page.say("查账单", "m-00000001")
        assert page.of_type("error") == [{"type": "error", "code": "assistant_unavailable"}]
        assert page.of_type("typing")[-1] == {"type": "typing", "on": False}

    run(go())


def test_without_speech_a_call_is_refused_with_the_reason():
    async def go():
        page = await Browser(gateway()).open()
        page.send(type="call_start")
        page.send(type="key", key="5")
        page.send(type="nonsense")
        await settle()
        assert page.of_type("error") == [
            {"type": "error", "code": "call_unavailable", "reason": "no_speech_model"},
            {"type": "error", "code": "bad_message"},
            {"type": "error", "code": "bad_message"},
        ]

    run(go())


@pytest.mark.parametrize("raw", ["not json", "[]", '{"type": 5}', '{"no": "type"}'])
def test_malformed_events_are_answered_not_fatal(raw):
    async def go():
        page = await Browser(gateway()).open()
        page.gateway.receive(page.conversation, page.page, raw)
        assert page.of_type("error") == [{"type": "error", "code": "bad_message"}]

    run(go())


def test_a_conversation_is_forgotten_once_no_page_shows_it_and_its_answer_is_done():
    async def go():
        assistant = TrackerAssistant({"查账单": [Reply("正在查询。"), Reply("本期应还¥8,650.00。")]})
        chat = gateway(assistant)
        page = await Browser(chat).open()
        assistant.hold = asyncio.Event()
        await page.say("查账单", "m-00000001")
        await page.close()
        assert "s1" in chat.conversations  # the answer is still being written to the tracker store
        assistant.hold.set()
        await settle()
        assert chat.conversations == {}
        again = await Browser(chat).open()
        assert [m["text"] for m in again.of_type("history")[0]["messages"]][-1] == "本期应还¥8,650.00。"

    run(go())


def test_a_page_that_cannot_get_its_history_leaves_nothing_behind():
    async def go():
        from voice.assistant import AssistantUnavailable

        assistant = TrackerAssistant()
        assistant.down = True
        chat = gateway(assistant)
        with pytest.raises(AssistantUnavailable):
            await Browser(chat).open()
        assert chat.conversations == {}

    run(go())
