"""A call session with its real endpointer on real (espeak-ng) speech, a scripted recognizer,
canned assistant replies and a tone TTS. Calls run on virtual time (tests/voice/virtual_time.py);
times are call time."""

import asyncio
from dataclasses import replace
from itertools import pairwise

import pytest

from tests.voice import virtual_time
from tests.voice.doubles import (
    CallLog,
    CannedAssistant,
    RecordingOutput,
    ScriptedRecognizer,
    barge_ins,
    caller_audio,
    spoken,
)
from voice import prompts
from voice.assistant import AssistantUnavailable, Reply
from voice.audio import FRAME_MS, frames, rms, silence
from voice.call_record import CallRecordStore
from voice.call_state import CallState
from voice.clock import Clock
from voice.config import CallSettings
from voice.endpointing import SpeechEnded
from voice.session import CallSession
from voice.stt import DIGITS_GRAMMAR, Transcript, Word
from voice.tts import ToneSynthesizer

RATE = 8000
GREETING = [Reply("您好，请问有什么可以帮您？")]
LONG_ANSWER = [Reply("这是一段很长的回答。" * 8)]
CONFIRM = [
    Reply(
        "确认挂失尾号1234的卡吗？",
        buttons=[{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/deny"}],
    )
]


class TimedOutput(RecordingOutput):
    """Remembers the call time of every frame sent."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = None
        self.sent_at: list = []
        self.cleared_at: list = []

    async def send_audio(self, pcm: bytes) -> None:
        await super().send_audio(pcm)
        self.sent_at.append(self.clock.now())

    async def clear(self) -> None:
        await super().clear()
        self.cleared_at.append(self.clock.now())


async def call(
    script,
    texts,
    replies=None,
    settings=None,
    keys=(),
    hang_up_at=None,
    until_s=30.0,
    assistant=None,
    store=None,
    recognizer=None,
):
    """Plays caller speech (``script`` as for caller_audio) into a session; returns it when it ends."""
    audio = caller_audio(script, RATE)  # before the call starts: synthesis blocks the event loop
    output = TimedOutput()
    assistant = assistant or CannedAssistant({"/greet": GREETING, **(replies or {})})
    recognizer = recognizer or ScriptedRecognizer(texts)
    session = CallSession(
        "c1",
        output,
        assistant,
        recognizer,
        ToneSynthesizer(),
        settings or CallSettings(),
        Clock(),
        store=store,
        observer=CallLog(),
    )
    output.clock = session.clock
    running = asyncio.create_task(session.run())
    keys = sorted(keys)
    for index, frame in enumerate(frames(audio + silence(RATE, int(until_s * 1000)), RATE)):
        now = index * FRAME_MS / 1000
        if session.ended or now >= until_s or (hang_up_at is not None and now >= hang_up_at):
            break
        await session.clock.sleep_until(now)
        while keys and keys[0][0] <= now:
            session.press(keys.pop(0)[1])
        session.feed_audio(frame)
    session.caller_hung_up()
    await running
    return session, output, assistant, recognizer


def texts_sent(assistant) -> list:
    return [text for _, text, _ in assistant.received]


def run(coro):
    return virtual_time.run(coro)


def test_greets_then_answers_each_utterance_the_endpointer_finds():
    patient = replace(CallSettings(), no_input_s=12.0)  # no reprompt even if the caller audio lags
    session, output, assistant, recognizer = run(
        call(
            [(4.0, "我想查一下这个月的账单"), (4.0, "谢谢")],
            ["查一下这个月的账单", "谢谢"],
            settings=patient,
            until_s=14,
        )
    )
    assert texts_sent(assistant) == ["/greet", "查一下这个月的账单", "谢谢"]
    assert len(recognizer.utterances) == 2 and all(size > 0 for size in recognizer.utterances)
    _, _, metadata = assistant.received[1]
    assert metadata == {"call_id": "c1", "via": "speech", "asr_confidence": 0.9}
    assert output.sent_at[0] == 0.0, "the greeting starts at once"
    assert len(session.observer.latencies) == 2
    who = [(e.who, e.text) for e in session.record.entries if e.who in ("caller", "bot")]
    assert who[:3] == [
        ("bot", GREETING[0].text),
        ("caller", "查一下这个月的账单"),
        ("bot", "您说的是：查一下这个月的账单"),
    ]


def test_a_spoken_turn_is_recognized_thought_about_and_answered_then_the_caller_has_the_floor():
    session, _, _, _ = run(call([(4.0, "我想查一下这个月的账单")], ["查一下这个月的账单"], until_s=9))
    assert session.observer.states == [
        CallState.GREETING,
        CallState.LISTENING,
        CallState.RECOGNIZING,
        CallState.THINKING,
        CallState.SPEAKING,
        CallState.LISTENING,
        CallState.ENDED,
    ]


def test_keys_pressed_over_the_greeting_are_collected_until_the_entry_ends():
    keys = [(1.0, "1"), (1.2, "3"), (1.4, "8"), (3.0, "#")]
    session, _, _, _ = run(call([], [], replies={"/greet": LONG_ANSWER}, keys=keys, until_s=5))
    assert session.observer.states == [
        CallState.GREETING,
        CallState.COLLECTING_KEYS,
        CallState.THINKING,
        CallState.SPEAKING,
        CallState.LISTENING,
        CallState.ENDED,
    ]


def test_a_caller_who_stays_silent_is_reprompted_offered_a_human_then_told_goodbye():
    settings = replace(CallSettings(), no_input_s=2.0)
    session, _, _, _ = run(call([], [], settings=settings, until_s=40))
    reprompt = [CallState.SPEAKING, CallState.LISTENING]
    assert session.observer.states == [
        CallState.GREETING,
        CallState.LISTENING,
        *reprompt,
        *reprompt,
        CallState.HANDING_OFF,
        CallState.SPEAKING,  # nobody could take the call: the offer went unanswered, goodbye
        CallState.ENDED,
    ]
    assert [e.text for e in session.record.entries if e.who == "bot"][-1] == prompts.NO_ANSWER_GOODBYE


def test_playback_is_paced_a_frame_every_20_ms():
    _, output, _, _ = run(call([], [], until_s=3))  # the greeting only
    assert len(output.sent_at) > 30
    assert output.sent_at == pytest.approx([index * FRAME_MS / 1000 for index in range(len(output.sent_at))])


def test_caller_speech_stops_a_long_answer_within_200_ms_and_clears_the_line():
    session, output, assistant, _ = run(
        call(
            [(4.0, "查账单"), (1.0, "好了不用说了")], ["查账单", "不用了"], replies={"查账单": LONG_ANSWER}, until_s=12
        )
    )
    speech_onset = 4.0 + len(caller_audio([(0, "查账单")], RATE)) / (2 * RATE) + 1.0
    assert barge_ins(session.record) == 1 and output.clears == 1
    cleared = output.cleared_at[0]
    assert speech_onset < cleared <= speech_onset + 0.2
    frames_after = [t for t in output.sent_at if cleared + 0.05 < t < cleared + 1.0]
    assert not frames_after, "no more of the long answer after the barge-in"
    assert texts_sent(assistant)[-1] == "不用了"
    assert any("barge-in" in e.text for e in session.record.entries)


def test_silence_gets_two_reprompts_then_the_offer_of_a_human():
    settings = replace(CallSettings(), no_input_s=2.0)
    session, _, assistant, _ = run(call([], [], settings=settings, until_s=40))
    said = [e.text for e in session.record.entries if e.who == "bot"]
    assert said.count(prompts.REPROMPT) == 2
    assert texts_sent(assistant) == ["/greet", prompts.OFFER_HUMAN_INTENT]
    assert session.record.end_reason == "no_input"
    no_input_times = [e.t for e in session.record.entries if e.text.startswith("no input")]
    assert len(no_input_times) == 3
    assert all(gap > 2.0 for gap in (b - a for a, b in pairwise(no_input_times)))


def test_speech_resets_the_no_input_count():
    settings = replace(CallSettings(), no_input_s=2.0)
    session, _, assistant, _ = run(call([(7.0, "你好")], ["你好"], settings=settings, until_s=14))
    assert "你好" in texts_sent(assistant)
    assert prompts.OFFER_HUMAN_INTENT not in texts_sent(assistant)


def test_keypad_digits_end_with_hash_and_stop_playback():
    session, output, assistant, _ = run(
        call([], [], replies={"/greet": LONG_ANSWER}, keys=[(1.0, "1"), (1.2, "3"), (1.4, "8"), (1.6, "#")], until_s=4)
    )
    assert texts_sent(assistant)[1:] == ["138"]
    assert assistant.received[1][2]["via"] == "dtmf"
    assert output.clears == 1
    assert [e.text for e in session.record.entries if e.who == "key"] == list("•••#"), "keys are masked one by one"
    assert [e.text for e in session.record.entries if e.who == "dtmf"] == ["138"]


def test_keypad_entry_also_ends_after_a_pause():
    settings = replace(CallSettings(), dtmf_timeout_s=1.0)
    _, _, assistant, _ = run(call([], [], settings=settings, keys=[(4.0, "4"), (4.2, "2")], until_s=7))
    assert texts_sent(assistant)[1:] == ["42"]


def test_buttons_are_read_as_options_and_chosen_by_key_or_by_voice():
    _, _, by_key, _ = run(call([], [], replies={"/greet": CONFIRM}, keys=[(6.0, "2")], until_s=8))
    assert texts_sent(by_key)[1:] == ["/deny"]
    _, _, by_voice, _ = run(call([(6.0, "第一个")], ["第一个"], replies={"/greet": CONFIRM}, until_s=10))
    assert texts_sent(by_voice)[1:] == ["/affirm"]


def test_a_question_for_digits_restricts_recognition_to_digits():
    asks_code = [Reply("请告诉我短信里收到的6位验证码。", requested_slot="otp_code")]
    _, _, _, recognizer = run(
        call([(5.0, "幺二三四五六")], ["一 二 三 四 五 六"], replies={"/greet": asks_code}, until_s=11)
    )
    assert recognizer.grammars and list(recognizer.grammars[0]) == list(DIGITS_GRAMMAR)


def test_the_grammar_comes_from_the_slot_asked_for_not_from_the_words_of_the_reply():
    sent = [Reply("验证码已发送到138****8000，5分钟内有效。")]  # names the code, asks for nothing
    amount = [Reply("请问您要还多少钱？", requested_slot="amount")]  # a slot without a grammar
    code_then_note = [Reply("请说出6位验证码。", requested_slot="otp_code"), Reply("验证码可以在电脑终端里查看。")]
    for greeting, grammars in ((sent, []), (amount, []), (code_then_note, [list(DIGITS_GRAMMAR)])):
        _, _, _, recognizer = run(call([(5.0, "幺二三四五六")], ["一 二 三 四 五 六"], replies={"/greet": greeting}))
        assert [list(g) if g else g for g in recognizer.grammars[:1]] == grammars, greeting


def test_a_grammar_miss_is_decoded_again_without_the_grammar():
    asks_code = [Reply("请告诉我短信里收到的6位验证码。", requested_slot="otp_code")]
    _, _, assistant, recognizer = run(
        call([(5.0, "我没收到验证码")], ["", "我没收到验证码"], replies={"/greet": asks_code}, until_s=11)
    )
    assert texts_sent(assistant)[1:] == ["我没收到验证码"]
    assert recognizer.grammars[:2] == [list(DIGITS_GRAMMAR), None]


def test_a_grammar_that_heard_only_unknown_words_is_decoded_again_without_it():
    asks_tail = [Reply("请问是哪张卡？请告诉我卡号后四位。", requested_slot="card_tail")]
    _, _, assistant, recognizer = run(
        call([(5.0, "尾号幺二三四")], ["[unk]", "尾号 幺 二 三 四"], replies={"/greet": asks_tail}, until_s=11)
    )
    assert texts_sent(assistant)[1:] == ["尾号1234"]
    assert recognizer.grammars[:2] == [list(DIGITS_GRAMMAR), None]


def test_hang_up_mid_sentence_sends_nothing_of_the_cut_utterance():
    session, output, assistant, _ = run(call([(4.0, "我想转账给张三五千块钱")], ["我想转账给张三"], hang_up_at=4.8))
    assert texts_sent(assistant) == ["/greet"]
    assert session.record.end_reason == "caller_hung_up"
    assert any("utterance dropped" in e.text for e in session.record.entries)
    assert not output.hung_up, "the caller hung up; nothing to hang up on our side"


def test_a_call_ends_at_the_maximum_length():
    settings = replace(CallSettings(), max_call_s=5.0, no_input_s=60)
    session, output, _, _ = run(call([], [], settings=settings, until_s=20))
    assert session.record.end_reason == "max_call_length"
    assert prompts.CALL_TOO_LONG in [e.text for e in session.record.entries]
    assert output.hung_up and 5.0 <= session.record.duration_s < 12


class DownAssistant(CannedAssistant):
    async def send(self, *args, **kwargs):
        raise AssistantUnavailable("connection refused")


def test_an_unreachable_assistant_ends_the_call_politely():
    session, output, _, _ = run(call([], [], assistant=DownAssistant(), until_s=15))
    assert session.record.end_reason == "assistant_unavailable"
    assert prompts.ASSISTANT_DOWN in [e.text for e in session.record.entries]
    assert rms(b"".join(output.frames)) > 0 and output.hung_up


def test_a_cough_during_an_answer_does_not_lose_the_answer():
    cough = caller_audio([(0, "啊")], RATE)[: RATE * 2 // 10]  # 100 ms of voice
    session, output, assistant, _ = run(_call_with_cough(cough))
    assert barge_ins(session.record) == 1
    assert "only noise: the answer resumes" in [e.text for e in session.record.entries]
    assert texts_sent(assistant) == ["/greet"]
    cut_sentence_frames = len("第三句话也很长很长很长。") * ToneSynthesizer.MS_PER_CHAR // FRAME_MS
    assert len([t for t in output.sent_at if t > 1.5]) == cut_sentence_frames, "the cut sentence is said again"


async def _call_with_cough(cough: bytes, assistant=None):
    output = TimedOutput()
    one_reply = [Reply("第一句话。第二句话比较长一些。第三句话也很长很长很长。")]
    assistant = assistant or CannedAssistant({"/greet": one_reply})
    session = CallSession(
        "c1", output, assistant, ScriptedRecognizer([]), ToneSynthesizer(), CallSettings(), Clock(), observer=CallLog()
    )
    output.clock = session.clock
    running = asyncio.create_task(session.run())
    stream = silence(RATE, 1000) + cough + silence(RATE, 6000)
    for index, frame in enumerate(frames(stream, RATE)):
        await session.clock.sleep_until(index * FRAME_MS / 1000)
        session.feed_audio(frame)
    session.caller_hung_up()
    await running
    return session, output, assistant, None


def test_the_call_record_is_stored_with_numbers_masked(tmp_path):
    store = CallRecordStore(f"sqlite:///{tmp_path / 'calls.db'}")
    session, _, _, _ = run(
        call(
            [(4.0, "我的手机号是13812345678")],
            ["我的手机号是13812345678"],
            keys=[(9.0, "6"), (9.1, "6"), (9.2, "6"), (9.3, "6"), (9.4, "6"), (9.5, "6"), (9.6, "#")],
            store=store,
            until_s=12,
        )
    )
    row = store.load("c1")
    assert row["conversation_id"] == "c1" and row["end_reason"] == "caller_hung_up"
    texts = " ".join(e["text"] for e in row["entries"])
    assert "138****5678" in texts and "13812345678" not in texts
    assert "******" in texts and "666666" not in texts
    caller = [e for e in row["entries"] if e["who"] == "caller"]
    assert caller[0]["confidence"] == 0.9


def test_the_call_ends_after_the_goodbye_response():
    goodbye = [Reply("感谢您的来电，再见！", response="utter_goodbye")]
    session, output, assistant, _ = run(
        call([(4.0, "没事了再见")], ["没事了，再见"], replies={"没事了，再见": goodbye}, until_s=20)
    )
    assert session.record.end_reason == "goodbye" and output.hung_up
    assert session.record.duration_s < 12, "no reprompts after the goodbye"


def test_hanging_up_during_playback_ends_the_call_at_once():
    async def hang_up_while_greeting(extra_ms: int):
        session = CallSession(
            "c1",
            RecordingOutput(),
            CannedAssistant({"/greet": LONG_ANSWER}),
            ScriptedRecognizer([]),
            ToneSynthesizer(),
            CallSettings(),
            Clock(),
        )
        running = asyncio.create_task(session.run())
        for _ in range(25):
            session.feed_audio(silence(RATE, FRAME_MS))
            await asyncio.sleep(FRAME_MS / 1000)
        await asyncio.sleep(extra_ms / 1000)
        session.caller_hung_up()
        return await asyncio.wait_for(running, 0.1)  # the greeting had seconds left to play

    for extra_ms in range(0, FRAME_MS, 4):  # on a frame's due time (stop() and the timer coincide) and between
        assert run(hang_up_while_greeting(extra_ms)).end_reason == "caller_hung_up"


class PhraseEndingRecognizer(ScriptedRecognizer):
    """Like Vosk when a pause inside an utterance ends a phrase: accept() returns that phrase."""

    def __init__(self):
        super().__init__(["给张三五千块"])
        self.phrase_given = False

    def accept(self, pcm: bytes):
        super().accept(pcm)
        if self.bytes_heard > RATE and not self.phrase_given:  # after a second of speech
            self.phrase_given = True
            return Transcript("我 想 转账", [Word("我想转账", 0.0, 1.0, 0.8)], final=True)
        return None


def test_phrases_the_recognizer_ended_on_its_own_are_not_lost():
    async def one_turn():
        output = RecordingOutput()
        assistant = CannedAssistant({"/greet": GREETING})
        session = CallSession(
            "c1", output, assistant, PhraseEndingRecognizer(), ToneSynthesizer(), CallSettings(), Clock()
        )
        running = asyncio.create_task(session.run())
        audio = silence(RATE, 3000) + spoken("我想转账给张三五千块钱", RATE) + silence(RATE, 3000)
        for index, frame in enumerate(frames(audio, RATE)):
            await session.clock.sleep_until(index * FRAME_MS / 1000)
            session.feed_audio(frame)
        session.caller_hung_up()
        await running
        return assistant

    assert texts_sent(run(one_turn()))[1:] == ["我想转账给张三五千块"]


class PartialRecognizer(ScriptedRecognizer):
    """Gives the words of the utterance being heard as partial text, as Vosk does while decoding."""

    def accept(self, pcm: bytes):
        super().accept(pcm)
        return Transcript(" ".join(self.texts[0]), [], final=False) if self.texts else None


def answer_latency(line: str, recognized: str, recognizer_class) -> float:
    session, _, assistant, _ = run(
        call([(3.0, line)], [recognized], until_s=8, recognizer=recognizer_class([recognized]))
    )
    assert texts_sent(assistant)[1:] == [recognized]
    return session.observer.latencies[0]


@pytest.mark.parametrize(
    "line, recognized", [("五七六零四四", "576044"), ("是的", "是的"), ("白条的还款日是几号", "白条的还款日是几号")]
)
def test_whole_words_are_answered_after_a_short_pause(line, recognized):
    waited = answer_latency(line, recognized, ScriptedRecognizer)  # no partial text: the full wait
    early = answer_latency(line, recognized, PartialRecognizer)
    saved = (CallSettings().endpoint.end_silence_ms - CallSettings().endpoint.early_end_silence_ms) / 1000
    assert early < waited - saved + 0.15, (early, waited)


def test_unfinished_words_get_the_full_wait():
    waited = answer_latency("我想问一下", "我想问一下", ScriptedRecognizer)
    unfinished = answer_latency("我想问一下", "我想问一下", PartialRecognizer)
    assert abs(unfinished - waited) < 0.15, (unfinished, waited)


def test_the_partial_text_of_an_utterance_still_being_finished_never_ends_the_next_one():
    async def answers() -> list:
        session = CallSession(
            "c1",
            RecordingOutput(),
            CannedAssistant(),
            PartialRecognizer(["是的"]),
            ToneSynthesizer(),
            CallSettings(),
            Clock(),
        )
        session.recognition._partial = "是的"  # the earlier utterance's words; its end is not handled yet
        session._on_speech_event(SpeechEnded(at_ms=1000, audio=b"", duration_ms=500))
        while_queued = session._words_are_a_turn()
        session._ends_queued = 0  # the recognizer has handled it
        return [while_queued, session._words_are_a_turn()]

    assert run(answers()) == [False, True]


TWO_PART_ANSWER = [Reply("身份验证成功。"), Reply("本期应还八千六百五十元。")]


def test_the_first_reply_is_spoken_while_the_next_is_still_on_its_way():
    assistant = CannedAssistant({"/greet": GREETING, "查账单": TWO_PART_ANSWER}, gap_s=3.0)
    session, output, _, _ = run(call([(2.0, "查账单")], ["查账单"], assistant=assistant, until_s=12))
    assert session.observer.latencies and session.observer.latencies[0] < 1.0, (
        "the first reply did not wait for the second"
    )
    bot = [e for e in session.record.entries if e.who == "bot"]
    assert [e.text for e in bot[1:]] == [r.text for r in TWO_PART_ANSWER]
    assert bot[2].t - bot[1].t >= 2.5
    spoken_chars = sum(len(r.text) for r in GREETING + TWO_PART_ANSWER)
    assert len(output.frames) == spoken_chars * ToneSynthesizer.MS_PER_CHAR // FRAME_MS


def test_a_cough_while_the_rest_of_an_answer_is_on_its_way_loses_none_of_it():
    cough = caller_audio([(0, "啊")], RATE)[: RATE * 2 // 10]
    answer = [Reply("第一句话。第二句话比较长一些。"), Reply("第三句话也很长很长很长。")]
    assistant = CannedAssistant({"/greet": answer}, gap_s=1.8)  # the second reply comes at 1.8 s
    session, output, _, _ = run(_call_with_cough(cough, assistant))
    assert barge_ins(session.record) == 1
    assert "only noise: the answer resumes" in [e.text for e in session.record.entries]
    third_sentence_frames = len("第三句话也很长很长很长。") * ToneSynthesizer.MS_PER_CHAR // FRAME_MS
    assert len([t for t in output.sent_at if t > 1.5]) == third_sentence_frames, "said once, after the cough"
