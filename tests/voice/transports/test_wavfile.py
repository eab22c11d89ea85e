"""File mode: a WAV of any rate as the caller; the bot's audio and a transcript come out."""

import json

from tests.voice import virtual_time
from tests.voice.doubles import CannedAssistant, ScriptedRecognizer, caller_audio
from voice.assistant import Reply
from voice.audio import read_wav, rms, write_wav
from voice.calls import CallServices
from voice.config import CallSettings
from voice.transports.wavfile import FileCall, run_file_call
from voice.tts import ToneSynthesizer


def test_a_wav_call_writes_the_bot_audio_and_a_timestamped_transcript(tmp_path):
    wav = tmp_path / "caller.wav"
    write_wav(wav, caller_audio([(4.0, "我想查账单")], 16000), 16000)  # 16 kHz in, the call runs at 8 kHz
    assistant = CannedAssistant({"/greet": [Reply("您好")], "查账单": [Reply("您本期账单应还1,234.50元。")]})
    services = CallServices(assistant, lambda rate: ScriptedRecognizer(["查账单"]), ToneSynthesizer(), CallSettings())
    call = FileCall(wav, dtmf=[(6.5, "1#")])
    record, session, _, bot = virtual_time.run(run_file_call(services, call, tmp_path / "out"))

    assert [text for _, text, _ in assistant.received] == ["/greet", "查账单", "1"]
    assert record.end_reason == "caller_hung_up" and session.ended
    lines = (tmp_path / "out" / "transcript.txt").read_text(encoding="utf-8").splitlines()
    assert any("caller 查账单 (asr 0.90)" in line for line in lines)
    assert any("bot    您本期账单应还1,234.50元。" in line for line in lines)
    saved = json.loads((tmp_path / "out" / "call.json").read_text(encoding="utf-8"))
    assert saved["end_reason"] == "caller_hung_up" and saved["transport"] == "file"
    bot_audio, rate = read_wav(tmp_path / "out" / "bot.wav")
    assert rate == 8000 and bot_audio == bot and rms(bot_audio[: 8000 * 2]) > 0, "the greeting is at the start"
    answer_at = next(e.t for e in record.entries if e.text.startswith("您本期"))
    start = int(answer_at * 8000) * 2
    assert rms(bot_audio[start : start + 8000]) > 0, "the answer is on the timeline where it was said"
