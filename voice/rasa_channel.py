"""Rasa input channel ``voice``: the REST webhook, answered through an output channel
named "voice" so that responses with ``channel: voice`` (the FAQ's spoken answers) win.

Enabled in bot/credentials.yml; calls POST /webhooks/voice/webhook with
{"sender": <call id>, "message": <text>, "metadata": {...}} and get the bot's messages.
"""

from typing import Any, Awaitable, Callable, Dict, Text

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request


class VoiceOutput(CollectingOutputChannel):
    """Also tells the call which response each message came from (to hang up after goodbye)."""

    @classmethod
    def name(cls) -> Text:
        return "voice"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        before = len(self.messages)
        response = message.get("utter_action")
        await super().send_response(recipient_id, dict(message))
        for sent in self.messages[before:]:
            if response:
                sent["response"] = response


class VoiceInput(RestInput):
    @classmethod
    def name(cls) -> Text:
        return "voice"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
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
            collector = VoiceOutput()
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            await on_new_message(UserMessage(text, collector, sender, input_channel=self.name(), metadata=metadata))
            return response.json(collector.messages)

        return webhook
