"""File mode: a WAV of any rate is played into a simulated call as the caller's side.

Writes to OUT: bot.wav (the bot's audio on the call's timeline), call.wav (stereo:
caller left, bot right), transcript.txt (timestamped) and call.json (the call record).
"""

import asyncio
import audioop
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional, Tuple

from voice.audio import FRAME_MS, SAMPLE_WIDTH, TELEPHONY_RATE, frame_bytes, frames, read_wav, silence, write_wav
from voice.call_record import CallRecord
from voice.calls import CallServices
from voice.clock import Clock

IDLE_HANG_UP_S = 1.0


class TimelineOutput:
    """Collects the bot's audio at the call time it is sent."""

    def __init__(self, rate: int) -> None:
        self.rate = rate
        self.audio = bytearray()
        self.clock: Clock  # the session's, set by run_file_call once the session exists
        self.clears: List[float] = []
        self.hung_up = False

    async def send_audio(self, pcm: bytes) -> None:
        at = int(self.clock.now() * self.rate) * SAMPLE_WIDTH
        if len(self.audio) < at:
            self.audio.extend(b"\x00" * (at - len(self.audio)))
        self.audio[at : at + len(pcm)] = pcm

    async def clear(self) -> None:
        self.clears.append(self.clock.now())

    async def hang_up(self) -> None:
        self.hung_up = True


@dataclass
class FileCall:
    wav: Path
    dtmf: List[Tuple[float, str]] = field(default_factory=list)  # (call time, keys)
    tail_s: Optional[float] = None  # silence after the WAV; None: hang up once the bot is done
    rate: int = TELEPHONY_RATE


async def run_file_call(services: CallServices, call: FileCall, out_dir: Optional[Path] = None):
    """Runs the call; returns (record, session, caller audio, bot audio)."""
    caller, _ = read_wav(call.wav, call.rate)
    output = TimelineOutput(call.rate)
    session = services.session(output, call.rate, "file", call_id=None)
    output.clock = session.clock
    running = asyncio.create_task(session.run())
    await _feed(session, caller, call)
    record = await running
    if out_dir is not None:
        write_outputs(out_dir, record, caller, bytes(output.audio), call.rate)
    return record, session, caller, bytes(output.audio)


async def _feed(session, caller: bytes, call: FileCall) -> None:
    keys = sorted(call.dtmf)
    step = FRAME_MS / 1000
    wav_end = len(caller) / frame_bytes(call.rate, 1000)
    idle_since = None
    stream = frames(caller, call.rate)
    index = 0
    while not session.ended:
        await session.clock.sleep_until(index * step)
        now = index * step
        while keys and keys[0][0] <= now:
            for key in keys.pop(0)[1]:
                session.press(key)
        session.feed_audio(next(stream, None) or silence(call.rate, FRAME_MS))
        index += 1
        if now < wav_end or keys:
            continue
        if call.tail_s is not None:
            if now >= wav_end + call.tail_s:
                break
            continue
        idle_since = (idle_since or now) if session.waiting_for_caller else None
        if idle_since is not None and now - idle_since >= IDLE_HANG_UP_S:
            break
    session.caller_hung_up()


def write_outputs(out_dir: Path, record: CallRecord, caller: bytes, bot: bytes, rate: int) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    length = max(len(caller), len(bot))
    caller, bot = caller.ljust(length, b"\x00"), bot.ljust(length, b"\x00")
    write_wav(out_dir / "bot.wav", bot, rate)
    stereo = audioop.add(
        audioop.tostereo(caller, SAMPLE_WIDTH, 1, 0), audioop.tostereo(bot, SAMPLE_WIDTH, 0, 1), SAMPLE_WIDTH
    )
    write_wav(out_dir / "call.wav", stereo, rate, channels=2)
    (out_dir / "transcript.txt").write_text(record.transcript(), encoding="utf-8")
    (out_dir / "call.json").write_text(record.to_json(), encoding="utf-8")
