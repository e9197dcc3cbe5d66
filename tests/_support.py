"""Small helpers shared by the core tests: test clocks and trace recorders.

The clocks implement the clock protocol of :class:`tinyio.Loop` (``now()`` and ``wait(wake, timeout,
threads_running)``, spec: ``time/clock``) without depending on ``tinyio.testing``.
"""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any


class JumpClock:
    """Virtual time: when the loop would block for ``timeout`` with no thread running, time jumps ahead instead.

    While a thread started by the loop is running, the clock really waits for the wake-up event (the thread's
    completion sets it), so time never moves while a thread might still report back.
    """

    def __init__(self, start: float = 1000.0) -> None:
        self.time = start
        self.reads = 0
        self.waits: list[float | None] = []

    def now(self) -> float:
        self.reads += 1
        return self.time

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        self.waits.append(timeout)
        if wake.is_set():
            return
        if threads_running or timeout is None:
            wake.wait()  # a thread or an event set from a thread will wake us; tests never rely on a timeout here
        else:
            self.time += timeout


class TickClock:
    """Every read of the clock advances it by ``tick`` seconds; blocking waits jump like :class:`JumpClock`."""

    def __init__(self, tick: float = 1.0) -> None:
        self.time = 0.0
        self.tick = tick
        self.reads = 0

    def now(self) -> float:
        self.reads += 1
        self.time += self.tick
        return self.time

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        if wake.is_set():
            return
        if threads_running or timeout is None:
            wake.wait()
        else:
            self.time += timeout


class BlockedSignal:
    """A real clock that sets ``blocked`` whenever the loop is about to block (to open gates at the right moment)."""

    def __init__(self) -> None:
        import time

        self._monotonic = time.monotonic
        self.blocked = threading.Event()

    def now(self) -> float:
        return self._monotonic()

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        self.blocked.set()
        # In slices, like the real clock (errors/interrupt): a Ctrl-C sent the moment `blocked` opens may land just
        # before the wait begins, and would then go unnoticed by a single long wait (a test sending one would hang).
        deadline = None if timeout is None else self._monotonic() + timeout
        while True:
            part = 0.1 if deadline is None else min(0.1, deadline - self._monotonic())
            if part <= 0 or wake.wait(part):
                return


def record(trace: list[Any], name: str, steps: int = 1, result: Any = None) -> Generator[Any, Any, Any]:
    """A coroutine that appends ``name`` (``name:i`` after the first) to ``trace`` at each of ``steps`` turns."""
    for i in range(steps):
        trace.append(name if i == 0 else f"{name}:{i}")
        yield
    return result


def returning(value: Any) -> Generator[Any, Any, Any]:
    """A coroutine that returns ``value`` after one checkpoint."""
    yield
    return value


def immediately(value: Any) -> Generator[Any, Any, Any]:
    """A coroutine that returns ``value`` on its first step."""
    return value
    yield  # pragma: no cover
