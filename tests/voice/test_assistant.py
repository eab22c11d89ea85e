import asyncio

import pytest

from bot import manage
from voice.assistant import AssistantUnavailable, RasaAssistant, Reply, replies_from


def test_rasa_messages_become_replies():
    messages = [{"recipient_id": "x", "text": "您好"}, {"image": "http://x/y.png"},
                {"text": "确认吗？", "buttons": [{"title": "确认", "payload": "/affirm"}]}]
    assert replies_from(messages) == [Reply("您好"), Reply("确认吗？", [{"title": "确认", "payload": "/affirm"}])]
    assert replies_from({"error": "x"}) == []


def test_an_unreachable_server_is_reported_not_raised_raw():
    async def send():
        assistant = RasaAssistant(f"http://127.0.0.1:{manage.free_port()}", timeout_s=2)
        try:
            await assistant.send("c", "你好")
        finally:
            await assistant.close()

    with pytest.raises(AssistantUnavailable, match="/webhooks/voice/webhook"):
        asyncio.run(send())
