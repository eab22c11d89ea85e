"""Calls in tests run on virtual time: an event loop whose clock stands still while anything can
run and, once every task waits, jumps straight to the next timer. A minute of call takes only
the computation it needs, and the call-time figures a test checks do not depend on how fast the
machine is (what real time costs is measured by `make bench-voice`).

The clock also waits for work in threads (``run_in_executor``, ``asyncio.to_thread``: speech
recognition, TTS, the call store) and inside ``time_stands_still()`` (a real Rasa server): such
work takes no call time. Peers on loopback sockets in the same loop need nothing special: what
one sends, the other can read at once.
"""

import asyncio
import contextlib
import selectors


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    def __init__(self) -> None:
        self._now = 1000.0  # not 0: code may take a zero time for "not yet"; fixed, so runs repeat exactly
        self.outside_work = 0  # thread jobs and time_stands_still() blocks the clock waits for
        super().__init__(_JumpingSelector(self))

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds

    def run_in_executor(self, executor, func, *args):
        future = super().run_in_executor(executor, func, *args)
        self.outside_work += 1
        future.add_done_callback(self._outside_work_done)
        return future

    def _outside_work_done(self, _future: asyncio.Future) -> None:
        self.outside_work -= 1


class _JumpingSelector(selectors.DefaultSelector):
    """The loop asks it for I/O events, waiting at most until the next timer is due."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout=None):
        if timeout is not None and timeout <= 0:  # callbacks are ready to run
            return super().select(0)
        if self._loop.outside_work:  # a thread or a server is working: wait for it in real time
            return super().select(None)
        events = super().select(0)
        if events or timeout is None:  # nothing scheduled: only the outside world can wake the loop
            return events or super().select(None)
        self._loop.advance(timeout)
        return []


@contextlib.contextmanager
def time_stands_still():
    """Inside, virtual time does not pass: what is awaited takes no call time."""
    loop = asyncio.get_running_loop()
    loop.outside_work += 1
    try:
        yield
    finally:
        loop.outside_work -= 1


class _Policy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self) -> VirtualTimeLoop:
        return VirtualTimeLoop()


def run(main, debug: bool = False):
    """``asyncio.run(main)`` on a VirtualTimeLoop."""
    previous = asyncio.get_event_loop_policy()
    asyncio.set_event_loop_policy(_Policy())
    try:
        return asyncio.run(main, debug=debug)
    finally:
        asyncio.set_event_loop_policy(previous)
