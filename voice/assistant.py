"""The assistant as a call or the web page sees it: text in, replies out, in one conversation."""

import asyncio
import json
from dataclasses import dataclass, field
from typing import AsyncIterator, Callable, List, Optional, Protocol

import aiohttp

DEFAULT_URL = "http://127.0.0.1:5005"
CALL_ENDING_RESPONSES = frozenset({"utter_goodbye"})


class AssistantUnavailable(RuntimeError):
    """The assistant could not be reached or answered with an error."""


@dataclass
class Reply:
    text: str
    buttons: List[dict] = field(default_factory=list)
    response: str = ""  # the domain response it came from (voice/rasa_channel.py)
    requested_slot: str = ""  # the slot this message asks the caller for
    handoff: Optional[dict] = None  # the conversation waits for a person (actions/handoff.py)

    @property
    def ends_call(self) -> bool:
        return self.response in CALL_ENDING_RESPONSES


class Assistant(Protocol):
    def stream(
        self, conversation_id: str, text: str, metadata: Optional[dict] = None, message_id: Optional[str] = None
    ) -> AsyncIterator[Reply]:
        """The replies to ``text``, each as soon as the assistant has it."""

    async def close(self) -> None: ...


def replies_from(messages: list) -> List[Reply]:
    """Rasa's REST messages → replies; images and other custom payloads carry no speech, and a
    custom ``{"handoff": {...}}`` (the conversation now waits for a person) becomes a reply
    without text that carries it."""
    replies = []
    for message in messages if isinstance(messages, list) else []:
        if not isinstance(message, dict):
            continue
        custom = message.get("custom")
        if isinstance(custom, dict) and isinstance(custom.get("handoff"), dict):
            replies.append(Reply("", handoff=custom["handoff"]))
        elif message.get("text") or message.get("buttons"):
            replies.append(
                Reply(
                    str(message.get("text") or ""),
                    list(message.get("buttons") or []),
                    str(message.get("response") or ""),
                    str(message.get("requested_slot") or ""),
                )
            )
    return replies


class RasaAssistant:
    """One of Rasa's gateway channels over HTTP: ``voice`` for calls, ``web`` for the web chat
    (voice/rasa_channel.py), with the channel's bearer token when it has one."""

    def __init__(
        self,
        base_url: str = DEFAULT_URL,
        timeout_s: float = 30.0,
        channel: str = "voice",
        token: Optional[str] = None,
        desk_status: Optional[Callable[[], dict]] = None,
    ) -> None:
        self.desk_status = desk_status  # sent with every message as metadata "desk" (actions/handoff.py)
        self.base = f"{base_url.rstrip('/')}/webhooks/{channel}"
        self.url = f"{self.base}/webhook"
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._http: Optional[aiohttp.ClientSession] = None

    async def send(self, conversation_id: str, text: str, metadata: Optional[dict] = None) -> List[Reply]:
        return [reply async for reply in self.stream(conversation_id, text, metadata)]

    async def stream(
        self, conversation_id: str, text: str, metadata: Optional[dict] = None, message_id: Optional[str] = None
    ) -> AsyncIterator[Reply]:
        metadata = dict(metadata or {})
        if self.desk_status is not None:
            metadata["desk"] = self.desk_status()
        body = {"sender": conversation_id, "message": text, "metadata": metadata, "stream": True}
        if message_id:
            body["message_id"] = message_id
        try:
            async with self._session().post(self.url, json=body, headers=self._headers) as answer:
                if answer.status != 200:
                    raise AssistantUnavailable(f"{self.url} answered HTTP {answer.status}")
                async for line in answer.content:
                    message = json.loads(line) if line.strip() else None
                    if isinstance(message, dict) and "error" in message:  # voice/rasa_channel.py _streamed
                        raise AssistantUnavailable(f"{self.url}: Rasa failed on the message: {message['error']}")
                    for reply in replies_from([message] if message is not None else []):
                        yield reply
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise AssistantUnavailable(f"{self.url}: {exc or type(exc).__name__}") from exc

    async def history(self, conversation_id: str) -> List[dict]:
        """What was said in the conversation, oldest first (voice/rasa_channel.py ``history_of``)."""
        url = f"{self.base}/history"
        try:
            async with self._session().get(url, params={"sender": conversation_id}, headers=self._headers) as answer:
                if answer.status != 200:
                    raise AssistantUnavailable(f"{url} answered HTTP {answer.status}")
                said = await answer.json()
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise AssistantUnavailable(f"{url}: {exc or type(exc).__name__}") from exc
        return said if isinstance(said, list) else []

    async def desk(self, conversation_id: str, do: str, agent: str, **words: str) -> List[Reply]:
        """The agent desk's turn in the conversation (voice/rasa_channel.py ``desk_turn``): take,
        say (``text``), give_back or close (``note``); the bot's replies to it."""
        url = f"{self.base}/desk"
        body = {"sender": conversation_id, "do": do, "agent": agent, **words}
        try:
            async with self._session().post(url, json=body, headers=self._headers) as answer:
                if answer.status != 200:
                    raise AssistantUnavailable(f"{url} answered HTTP {answer.status}: {await answer.text()}")
                return replies_from(await answer.json())
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
            raise AssistantUnavailable(f"{url}: {exc or type(exc).__name__}") from exc

    def _session(self) -> aiohttp.ClientSession:
        if self._http is None or self._http.closed:
            self._http = aiohttp.ClientSession(timeout=self._timeout)
        return self._http

    async def close(self) -> None:
        if self._http is not None:
            await self._http.close()
