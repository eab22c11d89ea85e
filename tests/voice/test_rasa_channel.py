import asyncio
import json

import pytest
from rasa.core.channels.channel import UserMessage

from tests.voice import virtual_time
from voice.rasa_channel import VoiceInput, VoiceOutput, _streamed


def test_the_channel_is_called_voice_so_spoken_response_variants_win():
    assert VoiceInput.name() == "voice" and VoiceOutput.name() == "voice"


def test_messages_say_which_response_they_came_from():
    output = VoiceOutput()
    asyncio.run(output.send_response("c1", {"text": "再见！", "utter_action": "utter_goodbye"}))
    asyncio.run(output.send_response("c1", {"text": "验证码已发送"}))
    assert [m.get("response") for m in output.messages] == ["utter_goodbye", None]
    assert output.messages[0]["text"] == "再见！"


class Written:
    def __init__(self) -> None:
        self.lines = []

    async def write(self, data: str) -> None:
        self.lines.append((asyncio.get_running_loop().time(), json.loads(data)))


def _stream(handler) -> Written:
    async def go():
        queue = asyncio.Queue()
        message = UserMessage("查账单", VoiceOutput(queue), "c1", input_channel="voice")
        written = Written()
        await _streamed(handler, message, queue)(written)
        return written

    return virtual_time.run(go())


def test_a_streamed_answer_sends_each_message_as_soon_as_it_is_uttered():
    async def handler(message):
        await message.output_channel.send_response("c1", {"text": "身份验证成功。", "utter_action": "utter_verified"})
        await asyncio.sleep(0.3)  # a slow action after the first message
        await message.output_channel.send_response("c1", {"text": "本期应还¥8,650.00。"})

    (first_at, first), (second_at, second) = _stream(handler).lines
    assert first["text"] == "身份验证成功。" and first["response"] == "utter_verified"
    assert second["text"] == "本期应还¥8,650.00。"
    assert second_at - first_at == pytest.approx(0.3), "the first message waited for the rest"


def test_a_failure_after_the_first_message_ends_the_stream_with_an_error_line():
    async def handler(message):
        await message.output_channel.send_response("c1", {"text": "请稍等。"})
        raise RuntimeError("lock store gone")

    first, last = [line for _, line in _stream(handler).lines]
    assert first["text"] == "请稍等。"
    assert set(last) == {"error"}, "the gateway must learn that the turn failed (voice/assistant.py)"


class Request:
    def __init__(self, authorization=None) -> None:
        self.headers = {"Authorization": authorization} if authorization else {}


def test_a_channel_with_a_token_refuses_requests_without_it(monkeypatch):
    from voice.rasa_channel import WebInput

    channel = WebInput.from_credentials({"token_env": "TEST_CHANNEL_TOKEN"})
    monkeypatch.delenv("TEST_CHANNEL_TOKEN", raising=False)
    assert channel.refused(Request("Bearer anything")).status == 503  # no token configured: closed
    monkeypatch.setenv("TEST_CHANNEL_TOKEN", "s3cret")
    assert channel.refused(Request()).status == 401
    assert channel.refused(Request("Bearer wrong")).status == 401
    assert channel.refused(Request("s3cret")).status == 401
    assert channel.refused(Request("Bearer s3cret")) is None
    assert WebInput.from_credentials(None).refused(Request()) is None  # bot/credentials.yml: loopback tests


def test_each_gateway_channel_words_replies_for_its_own_channel():
    from voice.rasa_channel import TokenRestInput, WebInput, WebOutput

    assert (WebInput.name(), WebOutput.name(), TokenRestInput.name()) == ("web", "web", "rest")
    assert VoiceInput.output is VoiceOutput and WebInput.output is WebOutput


def test_the_history_is_what_was_said_with_the_channel_it_was_said_on():
    from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
    from rasa.shared.core.trackers import DialogueStateTracker

    from voice.rasa_channel import history_of

    tracker = DialogueStateTracker.from_events(
        "web-s1",
        [
            UserUttered("查账单", input_channel="web", message_id="m1", metadata={"via": "chat"}),
            ActionExecuted("utter_ask_phone"),
            BotUttered("请告诉我手机号。", data={"buttons": [{"title": "取消", "payload": "/deny"}]}),
            SlotSet("phone", "13800138000"),
            UserUttered("幺三八", input_channel="voice", message_id="m2"),
            BotUttered("验证码已发送。"),
        ],
    )
    said = history_of(tracker)
    assert [(m["from"], m["text"], m["channel"]) for m in said] == [
        ("customer", "查账单", "web"),
        ("bot", "请告诉我手机号。", "web"),
        ("customer", "幺三八", "voice"),
        ("bot", "验证码已发送。", "voice"),
    ]
    assert said[0]["message_id"] == "m1" and said[0]["metadata"] == {"via": "chat"}
    assert said[1]["buttons"] == [{"title": "取消", "payload": "/deny"}]
    assert history_of(None) == []
