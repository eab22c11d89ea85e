"""Conversations for the console's tests, written by the assistant's tracker store from Rasa's own event
classes (the shape a running assistant stores), and the figures a test expects of them, counted here
from the descriptions, not from the events and not by bot.review.

A conversation: the gateway's greeting (/greet, not a customer message), then what the customer said,
each answered; maybe a form, a hand-off queued for the desk, an agent who took it, a call-back."""

from __future__ import annotations

import asyncio
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_store import EncryptedSQLTrackerStore

CHINA = ZoneInfo("Asia/Shanghai")
FALLBACK_INTENTS = ("nlu_fallback", "out_of_scope")
SUBMIT = {"transfer_form": "action_submit_transfer", "bill_form": "action_show_bill"}


@dataclass(frozen=True)
class Said:
    text: str
    intent: str
    confidence: float = 0.95
    faq: str | None = None
    asr: float | None = None  # a call's recognizer confidence


@dataclass
class Conversation:
    sender: str
    start: str  # "2026-03-02 10:00", China time
    channel: str  # "chat" | "call"
    said: list[Said]
    form: tuple[str, int, str] | None = None  # (form, started by message n, "submitted" | "started")
    handoff: bool = False  # the bot queued it for the desk
    agent: tuple[str, str, Said] | None = None  # (name, what they said, what the customer said to them)
    callback: bool = False  # nobody online: a call-back registered

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.start).replace(tzinfo=CHINA)

    def turns(self) -> list[Said]:
        return self.said + ([self.agent[2]] if self.agent else [])

    def events(self) -> list[Event]:
        events: list[Event] = [
            ActionExecuted("action_session_start"),
            SessionStarted(),
            ActionExecuted("action_listen"),
        ]
        events += [self._user(Said("/greet", "greet", 1.0), system=True), BotUttered("您好，我是智能客服小金。")]
        for n, said in enumerate(self.said):
            events += [self._user(said), ActionExecuted("action_answer"), BotUttered(f"回答{n + 1}")]
            if self.form and self.form[1] == n:
                events += [ActionExecuted(self.form[0]), ActiveLoop(self.form[0]), BotUttered("请告诉我手机号。")]
            events.append(ActionExecuted("action_listen"))
        if self.form and self.form[2] == "submitted":
            events += [ActiveLoop(None), ActionExecuted(SUBMIT[self.form[0]]), BotUttered("已为您办好。")]
        if self.handoff:
            events += [
                ActionExecuted("action_handoff"),
                BotUttered("正在为您转接人工客服，工单号H000012。"),
                BotUttered(None, data={"custom": {"handoff": {"ticket": "H000012", "priority": "normal"}}}),
            ]
        if self.agent:
            name, text, customer = self.agent
            events += [
                ActionExecuted("action_agent_joined"),
                BotUttered(f"人工客服{name}已接入。"),
                ConversationPaused(),
            ]
            events += [BotUttered(text, metadata={"agent": name}), self._user(customer), ConversationResumed()]
        if self.callback:
            events += [
                ActionExecuted("action_register_callback"),
                BotUttered("已登记回电。", metadata={"utter_action": "utter_callback_registered"}),
            ]
        moment = self.started.timestamp()
        for event in events:
            event.timestamp = moment
            moment += 2
        return events

    def _user(self, said: Said, system: bool = False) -> UserUttered:
        metadata: dict = {"via": "system" if system else "speech" if self.channel == "call" else "chat"}
        if said.asr is not None:
            metadata["asr_confidence"] = said.asr
        intent = {"name": said.intent, "confidence": said.confidence}
        parse_data: dict = {"intent": intent, "entities": [], "text": said.text}
        if said.faq:
            parse_data["response_selector"] = {
                "all_retrieval_intents": ["faq"],
                "faq": {"response": {"intent_response_key": f"faq/{said.faq}", "confidence": said.confidence}},
            }
        channel = "voice" if self.channel == "call" else "web"
        return UserUttered(said.text, intent, parse_data=parse_data, input_channel=channel, metadata=metadata)


PHONE = "13800138000"
CONVERSATIONS = [
    Conversation(
        "web-faq", "2026-03-02 10:00", "chat",
        [Said("信用卡年费怎么收", "faq", 0.92, "annual_fee"), Said("谢谢", "thank")],
    ),
    Conversation(
        "web-transfer", "2026-03-02 11:00", "chat",
        [Said("我要转账", "transfer_money", 0.97), Said("13812345678", "inform", 0.99), Said("123456", "inform", 0.9)],
        form=("transfer_form", 0, "submitted"),
    ),
    Conversation(  # 00:30 in China is still the day before in UTC
        "web-fallback", "2026-03-03 00:30", "chat",
        [Said("啊吧啊吧", "out_of_scope", 0.5), Said("asdf", "nlu_fallback", 0.3),
         Said("查余额", "check_balance", 0.9)],
        form=("balance_form", 2, "started"),
    ),
    Conversation(
        "web-handoff", "2026-03-03 10:00", "chat", [Said("我要转人工", "request_human", 0.96)], handoff=True,
        agent=("王敏", "您好，我是王敏。", Said("我的卡号是6222021234567890123", "inform", 0.4)),
    ),
    Conversation(
        "voice-bill", "2026-03-03 15:00", "call",
        [Said("查一下账单", "query_bill", 0.9, asr=0.82), Said(PHONE, "inform", 0.97, asr=0.64),
         Said("嗯", "nlu_fallback", 0.2, asr=0.41)],
        form=("bill_form", 0, "submitted"),
    ),
    Conversation(
        "voice-handoff", "2026-03-04 09:00", "call",
        [Said("有人盗刷我的卡", "report_fraud", 0.93, asr=0.88), Said("转人工", "request_human", 0.9, asr=0.9)],
        handoff=True,
    ),
    Conversation("voice-faq", "2026-03-09 09:00", "call", [Said("信用卡年费", "faq", 0.7, "annual_fee", asr=0.9)]),
    Conversation(
        "web-callback", "2026-03-10 22:00", "chat",
        [Said("转人工", "request_human", 0.96), Said("好的", "affirm", 0.99)],
        callback=True,
    ),
    Conversation(
        "web-next-week", "2026-03-11 16:30", "chat",
        [Said("怎么注销信用卡", "faq", 0.81, "cancel_card"), Said("那个那个", "nlu_fallback", 0.4)],
    ),
]  # fmt: skip
FIRST_DAY, LAST_DAY = "2026-03-02", "2026-03-11"


def save(tracker_db: str, conversations: list[Conversation] = CONVERSATIONS) -> None:
    """Writes the conversations into the SQLite tracker store at the path ``tracker_db``."""
    store = EncryptedSQLTrackerStore(Domain.empty(), dialect="sqlite", db=tracker_db)

    async def save_all() -> None:
        for conversation in conversations:
            await store.save(DialogueStateTracker.from_events(conversation.sender, conversation.events()))

    asyncio.run(save_all())
    store.engine.dispose()


# ----------------------------------------------------------------------------- what a test expects


@dataclass
class Expected:
    conversations: int = 0
    contained: int = 0
    handed_off: int = 0
    messages: int = 0
    fallbacks: int = 0
    turns: list[int] = field(default_factory=list)

    def figures(self) -> dict[str, float]:
        return {
            "conversations": self.conversations,
            "containment": round(self.contained / self.conversations, 4),
            "fallback_rate": round(self.fallbacks / self.messages, 4) if self.messages else 0.0,
            "handoff_rate": round(self.handed_off / self.conversations, 4),
            "median_turns": float(statistics.median(self.turns)),
        }


def period_of(conversation: Conversation, period: str) -> str:
    day: date = conversation.started.date()
    return (day - timedelta(days=day.weekday()) if period == "week" else day).isoformat()


def expected_figures(period: str, conversations: list[Conversation] = CONVERSATIONS) -> dict:
    """{(period start, channel): {figure: value}}: a conversation is contained when no person took
    part or was asked to (no hand-off, no call-back); it falls back when the bot did not understand."""
    counts: dict = defaultdict(Expected)
    for conversation in conversations:
        row = counts[(period_of(conversation, period), conversation.channel)]
        turns = conversation.turns()
        row.conversations += 1
        row.handed_off += conversation.handoff or conversation.agent is not None
        row.contained += not (conversation.handoff or conversation.agent or conversation.callback)
        row.messages += len(turns)
        row.fallbacks += sum(said.intent in FALLBACK_INTENTS for said in conversation.said)
        row.turns.append(len(turns))
    return {key: row.figures() for key, row in counts.items()}


def senders(**wanted) -> list[str]:
    """The conversations with these attributes, newest first (as the console lists them)."""
    chosen = [c for c in CONVERSATIONS if all(getattr(c, name) == value for name, value in wanted.items())]
    return [c.sender for c in sorted(chosen, key=lambda c: c.started, reverse=True)]
