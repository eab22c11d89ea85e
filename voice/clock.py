"""Call time. Real calls run at speed 1; simulated calls (file mode, tests, benchmarks)
may run faster, and every timer and the playback pacing scale with them."""

import asyncio


class Clock:
    def __init__(self, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("clock speed must be positive")
        self.speed = speed
        self._start = asyncio.get_running_loop().time()

    def now(self) -> float:
        """Seconds of call time since the clock was made."""
        return (asyncio.get_running_loop().time() - self._start) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, 0.0) / self.speed)

    async def sleep_until(self, call_time: float) -> None:
        await self.sleep(call_time - self.now())
