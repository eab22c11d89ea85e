"""Known conversations written with Rasa's own event classes into Rasa's own SQL tracker store, so
that what bot.review reads has exactly the stored shape of a running assistant.

Times are China time (Asia/Shanghai). Weeks: Mon 2026-03-02 .. Sun 03-08, and Mon 03-09 .. .
"""

import asyncio
from datetime import datetime

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActionExecutionRejected,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker

from bot.servers import tracker_store_config
from bot.tracker_store import EncryptedSQLTrackerStore
from nlu.clock import CHINA


def china(day: str, clock: str) -> float:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=CHINA).timestamp()


class Talk:
    """One conversation, event by event, one second apart."""

    def __init__(self, sender: str, day: str, clock: str, channel: str = "web") -> None:
        self.sender = sender
        self.channel = channel
        self.now = china(day, clock)
        self.events: list[Event] = []
        self.new_session()

    def new_session(self) -> "Talk":
        return self._add(ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"))

    def _add(self, *events: Event) -> "Talk":
        for event in events:
            event.timestamp = self.now
            self.now += 1
            self.events.append(event)
        return self

    def customer(
        self,
        text: str,
        intent: str | None,
        confidence: float = 0.95,
        *,
        faq: str | None = None,
        via: str | None = None,
        asr: float | None = None,
        shown_as: str | None = None,
    ) -> "Talk":
        metadata: dict = {"via": via or ("speech" if self.channel == "voice" else "chat")}
        if asr is not None:
            metadata["asr_confidence"] = asr
        if shown_as:
            metadata["shown_as"] = shown_as
        parse_data: dict = {"intent": {"name": intent, "confidence": confidence}, "entities": [], "text": text}
        if faq:
            parse_data["response_selector"] = {
                "all_retrieval_intents": ["faq"],
                "faq": {
                    "response": {
                        "responses": [{"text": "答案"}],
                        "confidence": confidence,
                        "intent_response_key": f"faq/{faq}",
                        "utter_action": f"utter_faq/{faq}",
                    },
                    "ranking": [{"confidence": confidence, "intent_response_key": f"faq/{faq}"}],
                },
            }
        return self._add(
            UserUttered(
                text,
                intent=parse_data["intent"],
                parse_data=parse_data,
                input_channel=self.channel,
                metadata=metadata,
            )
        )

    def faq_answered(self, text: str, faq: str, answer: str | None = None, confidence: float = 0.9) -> "Talk":
        """The customer asks a common question and the FAQ answers it (with ``answer``, when given)."""
        self.customer(text, "faq", confidence, faq=faq).action("action_answer_faq")
        return (self.bot(answer) if answer is not None else self).listen()

    def asks_for_a_person(self) -> "Talk":
        return self.customer("转人工", "request_human", 0.96).action("action_handoff")

    def system(self, text: str = "/greet", intent: str = "greet") -> "Talk":
        return self.customer(text, intent, 1.0, via="system")

    def bot(self, text: str | None, response: str | None = None, custom: dict | None = None) -> "Talk":
        metadata = {"utter_action": response} if response else {}
        return self._add(BotUttered(text, data={"custom": custom}, metadata=metadata))

    def agent(self, name: str, text: str) -> "Talk":
        return self._add(BotUttered(text, metadata={"agent": name}))

    def action(self, *names: str) -> "Talk":
        return self._add(*(ActionExecuted(name, policy="RulePolicy", confidence=1.0) for name in names))

    def listen(self) -> "Talk":
        return self.action("action_listen")

    def form_starts(self, form: str, question: str, slot: str) -> "Talk":
        return (
            self.action(form)._add(ActiveLoop(form), SlotSet("requested_slot", slot)).bot(question, f"utter_ask_{slot}")
        )

    def form_asks(self, form: str, question: str, slot: str) -> "Talk":
        return self.action(form)._add(SlotSet("requested_slot", slot)).bot(question, f"utter_ask_{slot}")

    def form_completes(self, form: str) -> "Talk":
        return self.action(form)._add(SlotSet("requested_slot", None), ActiveLoop(None))

    def form_cancelled(self, form: str) -> "Talk":
        self._add(ActionExecutionRejected(form))
        return (
            self.action("action_cancel_form")
            .bot("好的，已为您取消。", "utter_form_cancelled_anything_else")
            ._add(ActiveLoop(None))
        )

    def pause(self) -> "Talk":
        return self._add(ConversationPaused())

    def resume(self) -> "Talk":
        return self._add(ConversationResumed())

    def slot(self, name: str, value) -> "Talk":
        return self._add(SlotSet(name, value))


def seeded() -> list[Talk]:
    faq_chat = (
        Talk("faq-chat", "2026-03-02", "10:00")
        .system()
        .action("utter_greet")
        .bot("您好，我是智能客服小金。", "utter_greet")
        .listen()
        .faq_answered("信用卡年费怎么收", "annual_fee", "普卡首年免年费……", 0.92)
        .customer("谢谢", "thank", 0.98)
        .action("utter_you_are_welcome")
        .bot("不客气。", "utter_you_are_welcome")
        .listen()
    )
    transfer = (
        Talk("form-submitted", "2026-03-02", "11:00")
        .customer("我要转账", "transfer_money", 0.97)
        .form_starts("transfer_form", "为了保障您的账户安全，请提供手机号。", "phone")
        .listen()
        .customer("13812345678", "inform", 0.99)
        .form_asks("transfer_form", "验证码已发送到138****5678，请告诉我短信验证码。", "otp_code")
        .listen()
        .customer("验证码是 123456", "inform", 0.88)
        .form_asks("transfer_form", "请问转给谁、转多少？", "amount")
        .listen()
        .customer("给张三转100000元", "inform", 0.55)
        .form_completes("transfer_form")
        .action("action_submit_transfer")
        .bot("已向张三转账¥100,000.00，参考号H000012。", "utter_transferred")
        .listen()
    )
    cancelled = (
        Talk("form-cancelled", "2026-03-02", "12:00")
        .customer("我要还款", "repay", 0.96)
        .form_starts("repay_form", "请提供手机号。", "phone")
        .listen()
        .customer("不办了", "cancel", 0.93)
        .form_cancelled("repay_form")
        .listen()
        .customer("再见", "goodbye", 0.99)
        .action("utter_goodbye")
        .bot("再见。", "utter_goodbye")
        .listen()
    )
    # 01:00 China time on Tuesday is still Monday in UTC
    fallback = (
        Talk("fallback", "2026-03-03", "01:00")
        .customer("啊吧啊吧", "out_of_scope", 0.9)
        .action("action_cannot_handle")
        .bot("抱歉，这个问题超出了我的服务范围。", "utter_out_of_scope")
        .listen()
        .customer("asdf", "nlu_fallback", 0.3)
        .action("action_clarify")
        .bot("抱歉，我没有听懂。", "utter_default")
        .listen()
        .customer("查余额", "check_balance", 0.95)
        .form_starts("balance_form", "请提供手机号。", "phone")
        .listen()
    )
    handoff = (
        Talk("handoff-agent", "2026-03-03", "10:00")
        .customer("我要投诉", "complain", 0.93)
        .action("utter_complain")
        .bot("非常抱歉给您带来不便。", "utter_complain")
        .action("action_handoff")
        .bot("正在为您转接人工客服，工单号H000013。", "utter_handed_off")
        .bot(None, custom={"handoff": {"ticket": "H000013", "priority": "normal"}})
        .slot("handoff_offered", False)
        .listen()
        .slot("agent_name", "王敏")
        .action("action_agent_joined")
        .bot("客服王敏为您服务。", "utter_agent_joined")
        .listen()
        .pause()
        .customer("我的卡号是6222021234567890123", "inform", 0.4)
        .agent("王敏", "好的，已核实卡号尾号0123，手机13987654321的验证码为654321请勿外传")
        .slot("handoff_note", "已处理")
        .resume()
        .action("action_agent_gave_back")
        .bot("客服已结束服务，我继续为您服务。", "utter_agent_gave_back")
        .listen()
        .customer("谢谢", "thank", 0.98)
        .action("utter_you_are_welcome")
        .bot("不客气。", "utter_you_are_welcome")
        .listen()
    )
    callback = (
        Talk("callback", "2026-03-03", "11:00")
        .faq_answered("信用卡年费多少", "annual_fee", "普卡首年免年费。", 0.9)
        .asks_for_a_person()
        .bot("现在是非服务时间（9:00至21:00），需要客服回电吗？", "utter_handoff_closed_offer_callback")
        .slot("callback_offered", True)
        .listen()
        .customer("好的", "affirm", 0.99)
        .action("action_register_callback")
        .bot("已登记回电，工单号H000014，客服会致电尾号5678的手机。", "utter_callback_registered")
        .slot("callback_offered", False)
        .listen()
    )
    call = (
        Talk("call-1", "2026-03-03", "15:00", channel="voice")
        .system()
        .action("utter_greet")
        .bot("您好，我是智能客服小金。", "utter_greet")
        .listen()
        .customer("查一下账单", "query_bill", 0.9, asr=0.82)
        .form_starts("bill_form", "请说手机号。", "phone")
        .listen()
        .customer("幺三八一二三四五六七八", "inform", 0.97, asr=0.64)
        .form_completes("bill_form")
        .action("action_show_bill")
        .bot("本期应还八千六百五十元。", "utter_bill")
        .listen()
        .customer("嗯", "nlu_fallback", 0.2, asr=0.41)
        .action("action_clarify")
        .bot("抱歉，我没有听清。", "utter_default")
        .listen()
    )
    next_week_call = (
        Talk("call-2", "2026-03-09", "09:00", channel="voice")
        .system()
        .bot("您好，我是智能客服小金。", "utter_greet")
        .listen()
        .customer("信用卡年费", "faq", 0.7, faq="annual_fee", asr=0.9)
        .action("action_answer_faq")
        .bot("普卡首年免年费。")
        .listen()
        .customer("1234", "inform", 0.99, via="dtmf")
        .action("action_answer_without_task")
        .bot("请问您要办理什么业务？", "utter_what_task")
        .listen()
    )
    next_week_chat = (
        Talk("chat-next-week", "2026-03-11", "16:30")
        .faq_answered("怎么注销信用卡", "cancel_card", "注销信用卡需要……", 0.81)
        .customer("/affirm", "affirm", 1.0, shown_as="是的")
        .action("utter_anything_else")
        .bot("还有什么可以帮您？", "utter_anything_else")
        .listen()
        .faq_answered("信用卡年费呢", "annual_fee", "普卡首年免年费。", 0.66)
    )
    greeting_only = (
        Talk("greeting-only", "2026-03-02", "09:00")
        .system()
        .action("utter_greet")
        .bot("您好，我是智能客服小金。", "utter_greet")
        .listen()
    )
    return [
        faq_chat,
        transfer,
        cancelled,
        fallback,
        handoff,
        callback,
        call,
        next_week_call,
        next_week_chat,
        greeting_only,
    ]


def save(url: str, talks: list[Talk]) -> None:
    """Each conversation saved by the assistant's tracker store (Rasa's SQL store, encrypted) at the URL."""
    config = tracker_store_config(url)
    config.pop("type")
    if "url" in config:
        config["host"] = config.pop("url")
    store = EncryptedSQLTrackerStore(Domain.empty(), **config)

    async def save_all() -> None:
        for talk in talks:
            tracker = DialogueStateTracker.from_events(talk.sender, talk.events)
            await store.save(tracker)

    asyncio.run(save_all())
    store.engine.dispose()
