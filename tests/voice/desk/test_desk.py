"""The agent desk with the web gateway, on a Rasa stand-in that pauses as Rasa does."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.voice.web.doubles import Browser, TrackerAssistant, settle
from voice.assistant import Reply
from voice.desk.desk import Agent, Desk, DeskError
from voice.desk.hours import ServiceHours
from voice.web.gateway import WebGateway

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOON = datetime(2026, 12, 4, 12, 0, tzinfo=SHANGHAI).timestamp()
WANG = Agent("wang", "王敏")
LI = Agent("li", "李强")


def handing_off(ticket="H000001", priority="normal"):
    card = {"ticket": ticket, "priority": priority, "summary": {"reason": "客户要求人工服务", "last": "转人工"}}
    return [Reply("正在为您转接人工客服。"), Reply("", handoff=card)]


class AgentPage:
    def __init__(self, desk: Desk, agent: Agent) -> None:
        self.desk, self.got = desk, []
        self.seat = desk.connect(agent, self.got.append)

    def of_type(self, kind):
        return [e for e in self.got if isinstance(e, dict) and e.get("type") == kind]

    def queue(self):
        return [w["id"] for w in self.of_type("queue")[-1]["waiting"]]

    def audio(self):
        return [e for e in self.got if isinstance(e, bytes)]


class FakeCall:
    def __init__(self) -> None:
        self.ended, self.hear, self.to_caller, self.left_with = False, None, [], None

    def join_agent(self, name, hear):
        self.hear = hear

    def agent_audio(self, pcm):
        self.to_caller.append(pcm)

    def agent_left(self, replies=()):
        self.left_with = list(replies)


def setup(now=NOON, **desk_options):
    assistant = TrackerAssistant({"转人工": handing_off(), "卡被盗刷了，转人工": handing_off("H000002", "urgent")})
    clock = lambda: now  # noqa: E731
    desk = Desk(assistant, None, ServiceHours.parse("09:00-21:00"), clock=clock, customer_grace_s=0, **desk_options)
    gateway = WebGateway(assistant, calls=None, clock=clock, desk=desk)
    return assistant, desk, gateway


def run(coro):
    return asyncio.run(coro)


def test_the_desk_tells_rasa_whether_a_person_can_take_over_now():
    async def go():
        _, desk, _ = setup()
        assert desk.status() == {"live": True, "open": True, "agents": 0, "hours": "09:00-21:00"}
        wang = AgentPage(desk, WANG)
        assert desk.status()["agents"] == 1
        desk.set_available(wang.seat, False)
        assert desk.status()["agents"] == 0
        night = datetime(2026, 12, 4, 22, 30, tzinfo=SHANGHAI).timestamp()
        assert setup(now=night)[1].status()["open"] is False

    run(go())


def test_an_agent_takes_a_chat_talks_while_the_bot_is_silent_and_gives_it_back():
    async def go():
        assistant, desk, gateway = setup()
        wang = AgentPage(desk, WANG)
        customer = await Browser(gateway).open()
        await customer.say("我的手机号是13812345678", "m-00000001")
        await customer.say("转人工", "m-00000002")
        [key] = wang.queue()
        assert wang.of_type("queue")[-1]["waiting"][0]["ticket"] == "H000001"

        await desk.take(wang.seat, key)
        assert wang.queue() == [] and [c["id"] for c in wang.of_type("held")[-1]["conversations"]] == [key]
        assert "人工客服王敏已接入。" in customer.bot_texts()
        history = wang.of_type("history")[-1]["messages"]
        assert "我的手机号是138****5678" in [m["text"] for m in history]  # masked for staff
        assert "13812345678" not in str(wang.got)

        await customer.say("我的账单是不是多扣了？", "m-00000003")
        assert customer.bot_texts()[-1] == "人工客服王敏已接入。"  # the bot stays silent
        assert wang.of_type("message")[-1]["text"] == "我的账单是不是多扣了？"
        await desk.say(wang.seat, key, "您好，我帮您查一下。")
        await settle()
        [agent_said] = [e for e in customer.of_type("message") if e["from"] == "agent"]
        assert (agent_said["agent"], agent_said["text"]) == ("王敏", "您好，我帮您查一下。")
        assert {"from": "agent", "agent": "王敏", "text": "您好，我帮您查一下。"}.items() <= assistant.said["web-s1"][
            -1
        ].items()

        await desk.give_back(wang.seat, key)
        assert wang.of_type("released")[-1] == {"type": "released", "id": key, "how": "given_back"}
        assert customer.bot_texts()[-1] == "接下来由智能助手继续为您服务。"
        await customer.say("还有别的问题", "m-00000004")
        assert customer.bot_texts()[-1] == "您说的是：还有别的问题"

    run(go())


def test_urgent_customers_come_first_and_an_agent_holds_at_most_the_limit():
    async def go():
        _, desk, gateway = setup(max_per_agent=1)
        wang, li = AgentPage(desk, WANG), AgentPage(desk, LI)
        first = await Browser(gateway, "s1").open()
        await first.say("转人工", "m-00000001")
        second = await Browser(gateway, "s2").open()
        await second.say("卡被盗刷了，转人工", "m-00000001")
        waiting = wang.of_type("queue")[-1]["waiting"]
        assert [w["ticket"] for w in waiting] == ["H000002", "H000001"]
        urgent, normal = (w["id"] for w in waiting)
        await desk.take(wang.seat, urgent)
        with pytest.raises(DeskError, match="too_many"):
            await desk.take(wang.seat, normal)
        with pytest.raises(DeskError, match="taken"):
            await desk.take(li.seat, urgent)
        with pytest.raises(DeskError, match="not_held"):
            desk.say(li.seat, urgent, "你好")
        await desk.take(li.seat, normal)
        assert li.queue() == []

    run(go())


def test_a_customer_who_leaves_is_removed_from_the_queue_and_a_held_one_returns_to_the_bot():
    async def go():
        assistant, desk, gateway = setup()
        wang = AgentPage(desk, WANG)
        waiting, held = await Browser(gateway, "s1").open(), await Browser(gateway, "s2").open()
        await waiting.say("转人工", "m-00000001")
        await held.say("转人工", "m-00000001")
        await desk.take(wang.seat, wang.queue()[1])
        await waiting.close()
        await held.close()
        await settle()
        assert wang.queue() == []
        assert wang.of_type("released")[-1]["how"] == "left"
        assert assistant.paused == set()  # nobody is left with a silent bot
        assert desk.served == {}

    run(go())


def test_closing_needs_a_note_and_passes_it_on():
    async def go():
        assistant, desk, gateway = setup()
        wang = AgentPage(desk, WANG)
        customer = await Browser(gateway).open()
        await customer.say("转人工", "m-00000001")
        key = wang.queue()[0]
        await desk.take(wang.seat, key)
        with pytest.raises(DeskError, match="bad_message"):
            await desk.close(wang.seat, key, "  ")
        await desk.close(wang.seat, key, "已解释扣款原因")
        assert assistant.desk_turns[-1] == ("web-s1", "close", "王敏", {"note": "已解释扣款原因"})
        assert customer.bot_texts()[-1] == "本次人工服务已结束。"

    run(go())


def test_on_a_call_the_agent_hears_the_caller_and_is_heard_then_the_bot_speaks_again():
    async def go():
        _, desk, gateway = setup()
        wang = AgentPage(desk, WANG)
        customer = await Browser(gateway).open()
        call = FakeCall()

        class OnTheLine:
            rasa_id = "web-s1"

            def show(self, event):
                customer.page.send(event)

            def call(self):
                return call

            async def hang_up(self):
                call.ended = True

        desk.request(OnTheLine(), handing_off()[1].handoff, "call")
        key = wang.queue()[0]
        await desk.take(wang.seat, key)
        assert call.hear is not None and wang.of_type("call")[-1]["state"] == "waiting"  # for the agent's page
        desk.join_call(wang.seat, key)
        assert wang.of_type("call")[-1]["state"] == "joined"
        call.hear(b"\x01\x00" * 320)
        desk.agent_audio(wang.seat, b"\x02\x00" * 320)
        assert wang.audio() == [b"\x01\x00" * 320] and call.to_caller == [b"\x02\x00" * 320]
        await desk.give_back(wang.seat, key)
        assert call.left_with == ["接下来由智能助手继续为您服务。"]  # spoken by the call, not shown twice
        with pytest.raises(DeskError, match="no_call"):
            desk.agent_audio(wang.seat, b"\x00\x00")

    run(go())


def test_an_agent_whose_desk_drops_keeps_their_customers_for_a_while_then_they_return_to_the_bot():
    async def go():
        assistant, desk, gateway = setup(agent_grace_s=0)
        wang = AgentPage(desk, WANG)
        customer = await Browser(gateway).open()
        await customer.say("转人工", "m-00000001")
        await desk.take(wang.seat, wang.queue()[0])
        desk.disconnect(wang.seat, wang.got.append)
        await asyncio.sleep(0.01)
        await settle()
        assert assistant.paused == set() and customer.bot_texts()[-1] == "接下来由智能助手继续为您服务。"

    run(go())
