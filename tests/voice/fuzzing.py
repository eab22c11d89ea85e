"""What the fuzz tests share: a server kept on its own event loop in a thread (hypothesis drives
it from the test's thread, one example after another), the errors a server logs or a task dies of
while it is fuzzed, and a measure of the memory the server keeps.

Hypothesis runs a fixed number of examples, derandomized and without its example database, so
that a run in CI is the same as a run here; no deadline (a slow machine is not a failure)."""

import asyncio
import gc
import logging
import threading
import tracemalloc
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from aiohttp.http_exceptions import HttpProcessingError
from hypothesis import HealthCheck, settings

T = TypeVar("T")
SAFETY_NET_S = 120.0  # only a hung server reaches it: it is not a speed bound


def fuzz_settings(max_examples: int) -> settings:
    return settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
        print_blob=True,
    )


class LoopThread:
    """An event loop in a daemon thread; ``run`` a coroutine on it and wait for its result."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.failures: list[str] = []  # what tasks died of, unretrieved (see ``failed_tasks``)
        self.loop.set_exception_handler(self._exception)
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzzed-server", daemon=True)
        self.thread.start()

    def run(self, work: Awaitable[T]) -> T:
        return asyncio.run_coroutine_threadsafe(work, self.loop).result(SAFETY_NET_S)  # type: ignore[arg-type]

    def call(self, function: Callable[[], T]) -> T:
        async def on_loop() -> T:
            return function()

        return self.run(on_loop())

    def close(self) -> None:
        async def cancel_the_rest() -> None:
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        self.run(cancel_the_rest())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(SAFETY_NET_S)
        self.loop.close()

    def _exception(self, loop: asyncio.AbstractEventLoop, context: dict) -> None:
        exception = context.get("exception")
        self.failures.append(f"{context.get('message')}: {exception!r} {context.get('task') or ''}")
        loop.default_exception_handler(context)


@contextmanager
def loop_thread() -> Iterator[LoopThread]:
    thread = LoopThread()
    try:
        yield thread
    finally:
        thread.close()


class ErrorRecords(logging.Handler):
    """ERROR records (and worse) of the loggers given: a handler that failed logs one. Not
    aiohttp's for a request it could not parse: it answers those 400 itself (and aiohttp 3.9,
    which Rasa 3.6 pins, logs them as errors)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        exception = record.exc_info[1] if record.exc_info else None
        if isinstance(exception, HttpProcessingError) and exception.code == 400:
            return
        self.records.append(record)

    def take(self) -> list[str]:
        taken = [
            f"{r.name}: {r.getMessage()} {r.exc_info[1]!r}" if r.exc_info else r.getMessage() for r in self.records
        ]
        self.records.clear()
        return taken


@contextmanager
def error_records(*names: str) -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    loggers = [logging.getLogger(name) for name in names]
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield handler
    finally:
        for logger in loggers:
            logger.removeHandler(handler)


OURS = [tracemalloc.Filter(True, str(Path(__file__).resolve().parents[2] / "voice" / "*"), all_frames=True)]
FRAMES_KEPT = 40  # enough to reach our code from inside asyncio's and aiohttp's


@dataclass
class Growth:
    total: int  # bytes Python holds more than after the warm-up round
    ours: int  # of those, allocated with the project's voice/ code on the stack

    def __str__(self) -> str:
        return f"{self.total} bytes more, {self.ours} of them allocated by voice/"


def growth(per_round: Callable[[int], Any], rounds: int) -> Growth:
    """What is still held after ``rounds`` more rounds of ``per_round`` than a first warm-up round
    left (caches, first imports): memory that grows with the number of inputs."""
    already = tracemalloc.is_tracing()
    if not already:
        tracemalloc.start(FRAMES_KEPT)
    try:
        per_round(0)
        gc.collect()
        before = tracemalloc.take_snapshot()
        for n in range(1, rounds + 1):
            per_round(n)
        gc.collect()
        after = tracemalloc.take_snapshot()
    finally:
        if not already:
            tracemalloc.stop()
    total = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    ours = sum(stat.size_diff for stat in after.filter_traces(OURS).compare_to(before.filter_traces(OURS), "filename"))
    return Growth(total, ours)


@contextmanager
def quiet(*names: str) -> Iterator[None]:
    """Warnings of these loggers not emitted: pytest keeps every record it captures, which would
    count as memory the server keeps."""
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
