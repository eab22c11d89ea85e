"""The benchmark's arithmetic and verdicts (the benchmark itself runs with ``make bench-voice``)."""

import math
from itertools import pairwise

import pytest

from tests.bench.voice import (
    BREAKDOWN,
    PHONES,
    REQUESTS,
    SCRIPT,
    CallerTurn,
    CallResult,
    LevelResult,
    MeasuredRecognizer,
    RealTimeLimits,
    ScriptedTextRecognizer,
    Span,
    Summary,
    TurnTimes,
    asr_lag,
    breakdown,
    caller,
    code_in_outbox,
    largest_real_time,
    parallel_levels,
    percentile,
    real_time_problems,
    summarize,
    text_lag,
    turn_times,
    understanding_of,
)
from tests.voice.doubles import read_out
from voice.stt import Transcript


def test_percentile_interpolates_between_ranks():
    values = list(range(101))  # 0..100: the q-th percentile is q
    assert percentile(values, 50) == 50
    assert percentile(values, 95) == 95
    assert percentile([1.0, 2.0], 50) == 1.5
    assert percentile([3.0, 1.0, 2.0], 95) == pytest.approx(2.9)  # order does not matter


def test_summary_of_nothing_is_not_a_number():
    empty = summarize([])
    assert empty.n == 0 and math.isnan(empty.median) and math.isnan(empty.p95)


def test_summary_counts_and_ranks():
    summary = summarize([0.9, 1.1, 1.0, 3.0])
    assert summary.n == 4
    assert summary.median == pytest.approx(1.05)
    assert 1.1 < summary.p95 < 3.0


def turn(
    speech_end=10.0, finish=(10.75, 10.8), request=(10.81, 11.0), tts=(11.0, 11.05), first_frame=11.06, end_silence=0.7
):
    return TurnTimes(speech_end, end_silence, Span(*finish), Span(*request), Span(*tts), first_frame)


def test_breakdown_parts_add_up_to_the_latency():
    parts = breakdown(turn())
    assert list(parts) == list(BREAKDOWN)
    assert sum(parts.values()) == pytest.approx(turn().latency) == pytest.approx(1.06)
    assert parts["end-of-turn silence"] == 0.7
    assert parts["wait for ASR (backlog)"] == pytest.approx(0.05)
    assert parts["ASR finish"] == pytest.approx(0.05)
    assert parts["assistant, to its first reply"] == pytest.approx(0.19)
    assert parts["TTS first sentence"] == pytest.approx(0.05)


def test_asr_lag_counts_from_the_end_of_the_turn_silence():
    assert asr_lag(turn(finish=(10.75, 10.8))) == pytest.approx(0.1)
    assert asr_lag(turn(finish=(12.0, 12.2))) == pytest.approx(1.5)  # a backlog
    assert asr_lag(turn(finish=(10.75, 10.8), end_silence=0.3)) == pytest.approx(0.5)  # a turn ended early


def test_a_turn_ended_early_shows_its_shorter_silence():
    parts = breakdown(
        turn(finish=(10.35, 10.4), request=(10.41, 10.6), tts=(10.6, 10.65), first_frame=10.66, end_silence=0.3)
    )
    assert parts["end-of-turn silence"] == 0.3 and parts["wait for ASR (backlog)"] == pytest.approx(0.05)


def test_turn_times_takes_the_first_frame_and_synthesis_after_each_request():
    greeting_frames = [0.1, 0.12, 0.14]
    frames = greeting_frames + [5.3, 5.32, 9.4]
    syntheses = [Span(0.05, 0.09), Span(5.25, 5.29), Span(9.35, 9.39)]
    requests = [Span(5.0, 5.2), Span(9.1, 9.3)]
    finishes = [Span(4.9, 4.95), Span(9.0, 9.05)]
    turns = turn_times([1.0, 0.9], [0.7, 0.3], finishes, requests, syntheses, frames)
    assert [t.first_frame for t in turns] == [5.3, 9.4]
    assert [t.tts for t in turns] == syntheses[1:]
    assert [t.latency for t in turns] == pytest.approx([1.0, 0.9])
    assert turns[0].speech_end == pytest.approx(4.3)
    assert [t.end_silence for t in turns] == [0.7, 0.3]


def test_turn_times_stops_at_a_turn_that_was_never_answered():
    turns = turn_times(
        [1.0, 0.9],
        [0.7, 0.7],
        [Span(4.9, 4.95), Span(9.0, 9.05)],
        [Span(5.0, 5.2), Span(9.1, 9.3)],
        [Span(5.25, 5.29)],
        [5.3, 5.32],
    )
    assert len(turns) == 1


def level(calls=4, unfinished=0, latency=1.0, asr=0.2, late=0.005):
    return LevelResult(
        calls, unfinished, Summary(latency, latency * 1.3, 12), Summary(asr / 2, asr, 12), Summary(late / 2, late, 900)
    )


def test_a_level_within_every_limit_runs_in_real_time():
    assert real_time_problems(level(), single_call_median=0.9, limits=RealTimeLimits()) == []


@pytest.mark.parametrize(
    "changed, named",
    [
        ({"asr": 0.5}, "ASR lag"),
        ({"late": 0.040}, "frame lateness"),
        ({"latency": 1.81}, "median latency"),
        ({"unfinished": 1}, "did not finish"),
    ],
)
def test_each_limit_breaks_real_time(changed, named):
    problems = real_time_problems(level(**changed), single_call_median=0.9, limits=RealTimeLimits())
    assert len(problems) == 1 and named in problems[0]


def test_missing_figures_are_not_real_time():
    nothing = LevelResult(2, 2, summarize([]), summarize([]), summarize([]))
    assert len(real_time_problems(nothing, single_call_median=0.9, limits=RealTimeLimits())) == 4


def test_largest_real_time_stops_at_the_first_failure():
    assert largest_real_time([(1, True), (2, True), (4, True), (8, False)]) == 4
    assert largest_real_time([(1, True), (2, False), (4, True)]) == 1  # a later pass is noise
    assert largest_real_time([(1, False)]) == 0
    assert largest_real_time([]) == 0


def test_parallel_levels_double_then_step_by_four():
    assert parallel_levels(24) == [1, 2, 4, 8, 12, 16, 20, 24]
    assert parallel_levels(10) == [1, 2, 4, 8]
    assert parallel_levels(4) == [1, 2, 4]


class ListedRecognizer:
    """Returns the running texts it is given, one per accept(); the last as the final one."""

    def __init__(self, texts):
        self.texts, self.grammars, self.closed = list(texts), [], False

    def accept(self, pcm):
        return Transcript(self.texts.pop(0), [], final=False)

    def finish(self):
        return Transcript(self.texts.pop(0), [], final=True)

    def set_grammar(self, phrases):
        self.grammars.append(phrases)


def test_scripted_text_recognizer_returns_the_lines_said_from_the_first_frame():
    recognizer = ScriptedTextRecognizer()
    recognizer.expect("我想查一下信用卡账单")
    recognizer.expect("13800138000")
    assert recognizer.accept(b"\x01\x00" * 160).text == "我想查一下信用卡账单"
    first, second, third = recognizer.finish(), recognizer.finish(), recognizer.finish()
    assert [first.text, second.text, third.text] == ["我想查一下信用卡账单", "13800138000", ""]
    assert first.final and first.confidence > 0 and third.words == []
    assert len(recognizer.finishes) == 3 and all(span.duration >= 0 for span in recognizer.finishes)


def test_measured_recognizer_passes_everything_through_and_times_changes_of_its_text():
    inner = ListedRecognizer(["", "我想", "我想", "我 想查", "我想查账单"])
    recognizer = MeasuredRecognizer(inner)
    recognizer.expect("ignored: it hears for itself")
    texts = [recognizer.accept(b"\x00\x00").text for _ in range(4)]
    recognizer.set_grammar(["一", "二"])
    assert texts == ["", "我想", "我想", "我 想查"] and recognizer.finish().text == "我想查账单"
    assert inner.grammars == [["一", "二"]]
    assert [text for _, text in recognizer.partials] == ["我想", "我想查", "我想查账单"]  # changes only
    times = [when for when, _ in recognizer.partials]
    assert times == sorted(times) and len(recognizer.finishes) == 1


def test_text_lag_is_the_last_change_before_the_answer_after_the_voice_stopped():
    partials = [(10.0, "我想"), (10.6, "我想查账单"), (12.5, "幺三八")]
    assert text_lag(partials, speech_end=10.5, until=12.0) == pytest.approx(0.1)
    assert text_lag(partials, speech_end=10.8, until=12.0) == pytest.approx(-0.2)  # it had it before the end
    assert math.isnan(text_lag(partials, speech_end=9.0, until=9.5))


def turn_of(line, understood, meant="13800138000", heard="13800138000"):
    return CallerTurn(line, meant, heard, understood, 0.0, 0.1)


def test_understanding_counts_calls_lines_said_again_and_characters_misheard():
    said_twice = [turn_of(0, True, "查账单", "查账单"), turn_of(1, False, heard="13800138008"), turn_of(1, True)]
    gave_up = [turn_of(0, False, "查账单", "茶"), turn_of(0, False, "查账单", "查")]
    results = [
        CallResult([], said_twice, [], 30.0, 8.0, "本期应还"),
        CallResult([], gave_up, [], 20.0, 3.0, "", problem="line 1 not understood", misunderstood=True),
    ]
    u = understanding_of(results)
    assert (u.calls, u.completed, u.turns) == (2, 1, 5)
    assert (u.first_time, u.lines) == (1, 3)  # the first line of each call and the second of the first
    assert u.cer == pytest.approx((0 + 1 + 0 + 3 + 2) / (3 + 11 + 11 + 3 + 3))
    assert u.text_lag.n == 5


def test_the_first_call_says_the_script_and_later_callers_vary_their_request_and_phone():
    assert caller(0) == SCRIPT
    calls = [caller(number) for number in range(12)]
    assert all(a != b for a, b in pairwise(calls)), "no call repeats the one before"
    assert {lines[0] for lines in calls} == set(REQUESTS)
    assert {lines[1] for lines in calls} == set(PHONES)
    assert all(lines[2] == SCRIPT[2] for lines in calls), "the code is read from the outbox"


def test_digits_are_read_out_as_callers_say_them():
    assert read_out("13800138000") == "幺三八零零幺三八零零零"


def test_the_code_is_the_newest_the_outbox_shows_for_the_call():
    outbox = (
        "2026-12-03 10:02:11  138****8000  验证码 111111  (未使用，会话 call-bench-real1-b)\n"
        "2026-12-03 10:01:40  138****8000  验证码 576044  (未使用，会话 call-bench-real0-a)\n"
        "2026-12-03 10:01:05  138****8000  验证码 222222  (已使用，会话 call-bench-real0-a)\n"
    )
    assert code_in_outbox(outbox, "call-bench-real0-a") == "576044"
    assert code_in_outbox(outbox, "call-bench-other") is None
    assert code_in_outbox("短信发件箱为空。", "call-bench-real0-a") is None
