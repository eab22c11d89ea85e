"""Phone-line calls (Twilio, AudioSocket) reach the agent desk through their call session alone."""

import asyncio

from tests.voice.doubles import CannedAssistant, RecordingOutput, ScriptedRecognizer, tone_synthesizer
from tests.voice.web.doubles import TrackerAssistant
from voice.call_state import ENDED, LISTENING
from voice.calls import CallServices
from voice.config import CallSettings
from voice.desk.desk import Agent, Desk
from voice.desk.hours import ServiceHours
from voice.desk.phone_line import PhoneLineCustomer

CARD = {"ticket": "H000007", "priority": "urgent", "summary": {"reason": "客户要求人工服务"}}


def test_a_phone_line_call_is_queued_taken_by_voice_and_leaves_the_desk_when_it_ends():
    async def go():
        rasa = TrackerAssistant()
        desk = Desk(rasa, rasa, ServiceHours.parse("00:00-24:00"), customer_grace_s=0)
        services = CallServices(
            CannedAssistant({}), lambda rate: ScriptedRecognizer([]), tone_synthesizer(), CallSettings(), desk=desk
        )
        output = RecordingOutput()
        session = services.session(output, 8000, "twilio", call_id="c1")
        line = session.observer
        assert isinstance(line, PhoneLineCustomer) and line.call() is session and line.rasa_id == "call-c1"

        agent_got: list = []
        seat = desk.connect(Agent("wang", "王敏"), agent_got.append)
        line.handoff_requested(CARD)
        [waiting] = [e for e in agent_got if e.get("type") == "queue"][-1]["waiting"]
        assert (waiting["channel"], waiting["priority"], waiting["ticket"]) == ("call", "urgent", "H000007")

        await desk.take(seat, waiting["id"])
        assert session.with_agent and rasa.desk_turns[-1][:3] == ("call-c1", "take", "王敏")
        desk.agent_audio(seat, b"\x10\x00" * 320)  # 20 ms at 16 kHz → 20 ms at the line's 8 kHz

        line.state_changed(LISTENING, ENDED, 1.0)  # the caller hung up
        await asyncio.sleep(0.01)
        assert [e for e in agent_got if isinstance(e, dict) and e.get("type") == "released"][-1]["how"] == "left"
        assert rasa.paused == set()  # the conversation is the bot's again
        assert desk.served == {}

    asyncio.run(go())
