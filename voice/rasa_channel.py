"""Rasa input channel ``voice``: the REST webhook, answered through an output channel
named "voice" so that responses with ``channel: voice`` (the FAQ's spoken answers) win.

Enabled in bot/credentials.yml; calls POST /webhooks/voice/webhook with
{"sender": <call id>, "message": <text>, "metadata": {...}} and get the bot's messages as a
JSON list, or with "stream": true one JSON message per line, each sent as soon as the bot
utters it (a call starts speaking the first while later actions still run).
"""

import asyncio
import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request

log = logging.getLogger(__name__)
NewMessage = Callable[[UserMessage], Awaitable[Any]]
# what the call is told about each message besides its text, by the key it is sent under
FORWARDED = {"utter_action": "response", "requested_slot": "requested_slot", "values": "values"}


class VoiceOutput(CollectingOutputChannel):
    """Also tells the call which response each message came from (to hang up after goodbye),
    the slot it asks for (the grammar to listen with) and its typed values (bot/nlg.py);
    with a queue, hands each message on as it is sent."""

    def __init__(self, queue: Optional[asyncio.Queue] = None) -> None:
        super().__init__()
        self.queue = queue

    @classmethod
    def name(cls) -> Text:
        return "voice"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        before = len(self.messages)
        about = {sent_as: message[key] for key, sent_as in FORWARDED.items() if message.get(key)}
        await super().send_response(recipient_id, dict(message))
        for sent in self.messages[before:]:
            sent.update(about)
            if self.queue is not None:
                self.queue.put_nowait(sent)


def _streamed(on_new_message: NewMessage, message: UserMessage, queue: asyncio.Queue):
    async def handle() -> None:
        try:
            await on_new_message(message)
        except Exception:  # as Rasa's REST channel: the messages so far still go out
            log.exception("voice channel: handling a message of %s failed", message.sender_id)
        finally:
            queue.put_nowait(None)

    async def write(resp) -> None:
        handling = asyncio.ensure_future(handle())
        while (sent := await queue.get()) is not None:
            await resp.write(json.dumps(sent, ensure_ascii=False) + "\n")
        await handling

    return write


class VoiceInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "voice"

    def blueprint(self, on_new_message: NewMessage) -> Blueprint:
        webhook = Blueprint("voice_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_request: Request):
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request):
            body = request.json if isinstance(request.json, dict) else {}
            sender, text = body.get("sender"), body.get("message")
            if not isinstance(sender, str) or not isinstance(text, str) or not sender or not text:
                return response.json({"error": "body must be JSON with string 'sender' and 'message'"}, status=400)
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            queue: Optional[asyncio.Queue] = asyncio.Queue() if body.get("stream") is True else None
            collector = VoiceOutput(queue)
            message = UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata)
            if queue is not None:
                return response.stream(_streamed(on_new_message, message, queue), content_type="application/x-ndjson")
            await on_new_message(message)
            return response.json(collector.messages)

        return webhook
