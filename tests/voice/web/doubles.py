"""A Rasa stand-in for the web gateway: keeps each conversation as the tracker store would
(voice/rasa_channel.py ``history_of``), answers from canned replies, and takes the agent desk's
turns as ``desk_turn`` does (paused while an agent holds the conversation); and a page."""

import asyncio
import json
from typing import Dict, List, Optional

from voice.assistant import AssistantUnavailable, Reply
from voice.web.gateway import Page, WebGateway

GREETING = [Reply("您好，请问有什么可以帮您？")]


class TrackerAssistant:
    def __init__(self, replies: Optional[Dict[str, List[Reply]]] = None) -> None:
        self.replies = {"/greet": GREETING, **(replies or {})}
        self.said: Dict[str, List[dict]] = {}
        self.received: List[tuple] = []  # (conversation id, text, metadata, message id)
        self.hold: Optional[asyncio.Event] = None  # while set, answers wait after their first reply
        self.down = False
        self.paused: set = set()
        self.desk_turns: List[tuple] = []  # (conversation id, do, agent, words)

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
        if conversation_id in self.paused:
            return
        for index, reply in enumerate(self.replies.get(text, [Reply(f"您说的是：{text}")])):
            if index and self.hold is not None:
                await self.hold.wait()
            if reply.text:
                said.append({"from": "bot", "text": reply.text, "ts": 2.0, "buttons": reply.buttons, "channel": "web"})
            yield reply

    async def desk(self, conversation_id: str, do: str, agent: str, **words) -> List[Reply]:
        if self.down:
            raise AssistantUnavailable("down")
        self.desk_turns.append((conversation_id, do, agent, words))
        said = self.said.setdefault(conversation_id, [])
        if do == "say":
            said.append({"from": "agent", "agent": agent, "text": words["text"], "ts": 3.0, "channel": "web"})
            return []
        notice = {
            "take": f"人工客服{agent}已接入。",
            "give_back": "接下来由智能助手继续为您服务。",
            "close": "本次人工服务已结束。",
        }[do]
        if do == "take":
            self.paused.add(conversation_id)
        else:
            self.paused.discard(conversation_id)
        said.append({"from": "bot", "text": notice, "ts": 3.0, "buttons": [], "channel": "web"})
        return [Reply(notice)]

    async def close(self) -> None:
        pass


class Browser:
    """One page: what it was sent, and sending like the page's script does."""

    def __init__(self, gateway: WebGateway, session_id: str = "s1", address: str = "10.0.0.1") -> None:
        self.gateway, self.session_id, self.page = gateway, session_id, Page(address)
        self.conversation = None
        self.events: list = []

    async def open(self) -> "Browser":
        self.conversation = await self.gateway.open_page(self.session_id, self.page)
        await settle()
        return self

    def send(self, **event) -> None:
        self.gateway.receive(self.conversation, self.page, json.dumps(event, ensure_ascii=False))

    async def say(self, text: str, message_id: str) -> None:
        self.send(type="message", id=message_id, text=text)
        await settle()

    def received(self) -> list:
        while not self.page.outbox.empty():
            self.events.append(self.page.outbox.get_nowait())
        return self.events

    def of_type(self, kind: str) -> list:
        return [e for e in self.received() if isinstance(e, dict) and e.get("type") == kind]

    def bot_texts(self) -> list:
        return [e["text"] for e in self.of_type("message") if e["from"] == "bot"]

    async def close(self) -> None:
        await self.gateway.close_page(self.conversation, self.page)


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)
