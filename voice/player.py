"""Outbound audio, paced: one 20 ms frame at a time in call time, so barge-in can cut it."""

import asyncio
from typing import Optional, Protocol

from voice.audio import FRAME_MS, frames
from voice.clock import Clock


class CallOutput(Protocol):
    """What a transport offers a call session for the way back to the caller."""

    async def send_audio(self, pcm: bytes) -> None:
        """One frame of 16-bit PCM at the call's sample rate."""

    async def clear(self) -> None:
        """Drop audio the far end may still have queued (barge-in)."""

    async def hang_up(self) -> None: ...


class Player:
    def __init__(self, output: CallOutput, clock: Clock, sample_rate: int) -> None:
        self.output, self.clock, self.rate = output, clock, sample_rate
        self._stopped = asyncio.Event()
        self.playing = False
        self.first_frame_at: Optional[float] = None  # call time of the latest first frame

    async def play(self, pcm: bytes) -> bool:
        """Plays ``pcm`` in real time; False when ``stop()`` cut it short."""
        self._stopped.clear()
        self.playing = True
        stopped = asyncio.ensure_future(self._stopped.wait())  # one waiter for all the frames
        try:
            start = self.clock.now()
            for index, frame in enumerate(frames(pcm, self.rate)):
                if self._stopped.is_set():
                    return False
                if index == 0:
                    self.first_frame_at = start
                await self.output.send_audio(frame)
                await self._wait(stopped, start + (index + 1) * FRAME_MS / 1000)
            return not self._stopped.is_set()
        finally:
            stopped.cancel()
            self.playing = False

    async def _wait(self, stopped: asyncio.Future, until: float) -> None:
        # asyncio.wait, not wait_for: on 3.10 wait_for can swallow a cancellation that
        # arrives together with stop(), and the hung-up call would never finish.
        timeout = until - self.clock.now()
        if timeout > 0:
            await asyncio.wait({stopped}, timeout=timeout)

    def stop(self) -> None:
        self._stopped.set()
