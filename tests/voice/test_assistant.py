import asyncio
import json

import pytest

from bot import processes
from tests.voice import virtual_time
from voice.assistant import AssistantUnavailable, RasaAssistant, Reply, replies_from


def test_rasa_messages_become_replies():
    messages = [
        {"recipient_id": "x", "text": "您好"},
        {"image": "http://x/y.png"},
        {"text": "确认吗？", "buttons": [{"title": "确认", "payload": "/affirm"}]},
    ]
    assert replies_from(messages) == [Reply("您好"), Reply("确认吗？", [{"title": "确认", "payload": "/affirm"}])]
    assert replies_from({"error": "x"}) == []


def test_the_slot_a_message_asks_for_comes_with_its_reply():
    messages = [
        {"text": "验证码已发送到138****8000。"},
        {"text": "请说出6位验证码。", "response": "utter_ask_otp_code", "requested_slot": "otp_code"},
    ]
    assert [reply.requested_slot for reply in replies_from(messages)] == ["", "otp_code"]


def test_an_unreachable_server_is_reported_not_raised_raw():
    async def send():
        assistant = RasaAssistant(f"http://127.0.0.1:{processes.free_port()}", timeout_s=2)
        try:
            await assistant.send("c", "你好")
        finally:
            await assistant.close()

    with pytest.raises(AssistantUnavailable, match="/webhooks/voice/webhook"):
        asyncio.run(send())


async def _ndjson_server(lines, gap_s: float, status: int = 200):
    """A stand-in for Rasa's voice webhook that streams ``lines`` ``gap_s`` apart."""
    from aiohttp import web

    async def webhook(request):
        body = await request.json()
        assert body["stream"] is True and body["sender"] == "c1"
        if status != 200:
            return web.Response(status=status)
        answer = web.StreamResponse()
        await answer.prepare(request)
        for index, line in enumerate(lines):
            if index:
                await asyncio.sleep(gap_s)
            await answer.write((json.dumps(line, ensure_ascii=False) + "\n").encode())
        return answer

    app = web.Application()
    app.router.add_post("/webhooks/voice/webhook", webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    port = processes.free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner, f"http://127.0.0.1:{port}"


def test_replies_stream_in_as_rasa_utters_them():
    lines = [{"text": "身份验证成功。", "response": "utter_verified"}, {"image": "x.png"}, {"text": "本期应还八千元。"}]

    async def go():
        runner, url = await _ndjson_server(lines, gap_s=0.4)  # the last line is written at 0.8 s
        assistant = RasaAssistant(url)
        loop = asyncio.get_running_loop()
        try:
            start, arrivals = loop.time(), []
            async for reply in assistant.stream("c1", "查账单"):
                arrivals.append((loop.time() - start, reply))
            return arrivals, await assistant.send("c1", "查账单")
        finally:
            await assistant.close()
            await runner.cleanup()

    arrivals, sent = virtual_time.run(go())
    assert (
        [reply for _, reply in arrivals]
        == sent
        == [Reply("身份验证成功。", response="utter_verified"), Reply("本期应还八千元。")]
    )
    # Sums of float seconds: 0.4 + 0.4 may come out a hair under 0.8.
    assert arrivals[0][0] < 0.4 and arrivals[1][0] >= 0.8 - 1e-9, "the first reply did not wait for the last"


def test_an_error_status_is_reported():
    async def go():
        runner, url = await _ndjson_server([], gap_s=0, status=500)
        assistant = RasaAssistant(url)
        try:
            return [reply async for reply in assistant.stream("c1", "查账单")]
        finally:
            await assistant.close()
            await runner.cleanup()

    with pytest.raises(AssistantUnavailable, match="HTTP 500"):
        asyncio.run(go())


def test_an_error_line_after_a_reply_is_reported_once_the_reply_is_out():
    """Rasa's streamed channel ends a failed turn with {"error": ...} (voice/rasa_channel.py): a lock
    store or tracker store that is down must reach the customer as a failure, not as silence."""

    async def go():
        runner, url = await _ndjson_server([{"text": "请稍等。"}, {"error": "handling the message failed"}], gap_s=0)
        assistant = RasaAssistant(url)
        seen = []
        try:
            async for reply in assistant.stream("c1", "查账单"):
                seen.append(reply.text)
        except AssistantUnavailable as exc:
            return seen, str(exc)
        finally:
            await assistant.close()
            await runner.cleanup()
        return seen, None

    seen, error = asyncio.run(go())
    assert seen == ["请稍等。"]
    assert error is not None and "handling the message failed" in error
