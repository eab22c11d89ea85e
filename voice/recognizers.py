"""Recognizers shared across calls. A fresh Vosk recognizer decodes its first utterance about
three times slower than later ones (measured by `make bench-voice`), so a finished call hands
its recognizer back for the next call instead of dropping it."""

import logging
import threading
from typing import Callable, Dict, List

from voice.stt import Recognizer

log = logging.getLogger(__name__)


class PooledRecognizer:
    """The Recognizer interface, one call at a time; ``close()`` returns it to the pool.

    Calls are serialized by a lock, so a decode still running in a thread when its call ends
    cannot overlap the reset for the next call.
    """

    def __init__(self, inner: Recognizer, pool: "RecognizerPool") -> None:
        self.inner, self.pool = inner, pool
        self.lock = threading.Lock()

    @property
    def sample_rate(self) -> int:
        return self.inner.sample_rate

    def accept(self, pcm: bytes):
        with self.lock:
            return self.inner.accept(pcm)

    def finish(self):
        with self.lock:
            return self.inner.finish()

    def set_grammar(self, phrases) -> None:
        with self.lock:
            self.inner.set_grammar(phrases)

    def close(self) -> None:
        self.pool.give_back(self)


class RecognizerPool:
    def __init__(self, model, make: Callable[..., Recognizer] = Recognizer) -> None:
        self.model, self.make = model, make
        self._free: Dict[int, List[PooledRecognizer]] = {}
        self._lock = threading.Lock()

    def take(self, sample_rate: int) -> PooledRecognizer:
        with self._lock:
            free = self._free.get(sample_rate)
            if free:
                return free.pop()
        return PooledRecognizer(self.make(self.model, sample_rate), self)

    def give_back(self, recognizer: PooledRecognizer) -> None:
        with recognizer.lock:
            try:
                recognizer.inner.finish()  # forget a half-heard utterance
                recognizer.inner.set_grammar(None)
            except Exception:  # a broken recognizer is dropped, not reused
                log.warning("recognizer not reused", exc_info=True)
                return
        with self._lock:
            self._free.setdefault(recognizer.sample_rate, []).append(recognizer)

    def warm(self, count: int, sample_rate: int, speech: bytes) -> None:
        """Makes sure ``count`` recognizers at this rate have decoded speech once (a server does
        this at startup, so that its first callers are not the slow ones)."""
        with self._lock:
            ready = len(self._free.get(sample_rate, []))
        fresh = [PooledRecognizer(self.make(self.model, sample_rate), self) for _ in range(count - ready)]
        for recognizer in fresh:
            recognizer.accept(speech)
            recognizer.close()

    def idle(self, sample_rate: int) -> int:
        with self._lock:
            return len(self._free.get(sample_rate, []))
