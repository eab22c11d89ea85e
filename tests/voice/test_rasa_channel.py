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


def test_a_failure_after_the_first_message_still_ends_the_stream_cleanly():
    async def handler(message):
        await message.output_channel.send_response("c1", {"text": "请稍等。"})
        raise RuntimeError("action server gone")

    assert [line["text"] for _, line in _stream(handler).lines] == ["请稍等。"]
