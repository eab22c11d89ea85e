"""Call time: seconds since the call started, on the event loop's clock (not time.monotonic),
so that tests can run calls on a loop with virtual time (tests/voice/virtual_time.py)."""

import asyncio


class Clock:
    def __init__(self) -> None:
        self._start = asyncio.get_running_loop().time()

    def now(self) -> float:
        """Seconds of call time since the clock was made."""
        return asyncio.get_running_loop().time() - self._start

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0))

    async def sleep_until(self, call_time: float) -> None:
        await self.sleep(call_time - self.now())
