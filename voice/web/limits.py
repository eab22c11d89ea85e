"""How often one session, or one address, may send: a token bucket per key."""

import time
from typing import Callable, Dict, Tuple


class RateLimit:
    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = per_minute / 60.0, burst, clock
        self._buckets: Dict[str, Tuple[float, float]] = {}  # key → (tokens, when counted)

    def wait_for(self, key: str) -> float:
        """0 when ``key`` may send now (and counts it), else the seconds until it may."""
        now = self.clock()
        tokens, then = self._buckets.get(key, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - then) * self.rate)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.rate

    def forget_idle(self) -> None:
        """Drops the buckets that are full again (keeps memory bounded)."""
        now = self.clock()
        full = [k for k, (tokens, then) in self._buckets.items() if tokens + (now - then) * self.rate >= self.burst]
        for key in full:
            del self._buckets[key]
