"""The agent desk's turns through the Rasa channel (voice/rasa_channel.py ``desk_turn``), on a
tracker of Rasa's own and a stand-in for Rasa's agent: what is written down."""

import asyncio
from contextlib import asynccontextmanager
from types import SimpleNamespace

from rasa.core.channels.channel import CollectingOutputChannel
from rasa.shared.core.events import UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from voice.rasa_channel import desk_turn


class Agent:
    """Rasa's agent as desk_turn uses it for ``say``: a lock per conversation, a tracker, saving."""

    def __init__(self) -> None:
        self.tracker = DialogueStateTracker.from_events("web-1", [UserUttered("我的手机号是13987654321")])
        self.saved: list = []
        self.processor = SimpleNamespace(fetch_tracker_and_update_session=self._fetch, save_tracker=self._save)
        self.lock_store = SimpleNamespace(lock=self._lock)

    @asynccontextmanager
    async def _lock(self, _sender):
        yield

    async def _fetch(self, _sender, _output):
        return self.tracker

    async def _save(self, tracker) -> None:
        self.saved.append(list(tracker.events))


def test_an_agents_words_are_written_down_masked():
    """Found by the search for personal numbers at rest: an agent's message went into the tracker
    store as typed, full phone number and code included."""
    agent = Agent()
    body = {"do": "say", "agent": "王敏", "text": "已核实手机13987654321，验证码654321请勿外传"}
    problem = asyncio.run(desk_turn(agent, "web-1", body, CollectingOutputChannel()))
    assert problem is None
    written = agent.saved[-1][-1]
    assert written.text == "已核实手机139****4321，验证码******请勿外传"
    assert written.metadata == {"agent": "王敏"}
