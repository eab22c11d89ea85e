"""A Rasa stand-in for the web gateway: keeps each conversation as the tracker store would
(voice/rasa_channel.py ``history_of``) and answers from canned replies."""

import asyncio
from typing import Dict, List, Optional

from voice.assistant import AssistantUnavailable, Reply

GREETING = [Reply("您好，请问有什么可以帮您？")]


class TrackerAssistant:
    def __init__(self, replies: Optional[Dict[str, List[Reply]]] = None) -> None:
        self.replies = {"/greet": GREETING, **(replies or {})}
        self.said: Dict[str, List[dict]] = {}
        self.received: List[tuple] = []  # (conversation id, text, metadata, message id)
        self.hold: Optional[asyncio.Event] = None  # while set, answers wait after their first reply
        self.down = False

    async def history(self, conversation_id: str) -> List[dict]:
        if self.down:
            raise AssistantUnavailable("down")
        return [dict(m) for m in self.said.get(conversation_id, [])]

    async def stream(self, conversation_id: str, text: str, metadata=None, message_id=None):
        if self.down:
            raise AssistantUnavailable("down")
        self.received.append((conversation_id, text, metadata or {}, message_id))
        said = self.said.setdefault(conversation_id, [])
        said.append(
            {"from": "customer", "text": text, "ts": 1.0, "message_id": message_id or f"rasa-{len(said)}",
             "channel": "web", "metadata": metadata or {}}
        )  # fmt: skip
        for index, reply in enumerate(self.replies.get(text, [Reply(f"您说的是：{text}")])):
            if index and self.hold is not None:
                await self.hold.wait()
            said.append({"from": "bot", "text": reply.text, "ts": 2.0, "buttons": reply.buttons, "channel": "web"})
            yield reply

    async def close(self) -> None:
        pass
