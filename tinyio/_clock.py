"""Where the loop reads the time and how it waits: the seam that lets tests replace wall-clock time.

A clock has two methods. ``now()`` returns the current time in seconds (any origin, never decreasing). ``wait(wake,
timeout, threads_running)`` blocks the loop's thread until ``wake`` is set or ``timeout`` seconds (``None``: no limit)
have passed on this clock; ``threads_running`` tells the clock how many threads started by the loop have not yet
reported back, which a virtual clock uses to decide whether it may jump ahead.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol

__all__ = ["Clock", "RealClock"]

# threading.Event.wait rejects timeouts above this; longer waits are split (spec: time/huge).
_MAX_WAIT = min(threading.TIMEOUT_MAX, 86400.0)
_SIGNAL_CHECK = 0.1  # spec: errors/interrupt — the longest a pending Ctrl-C waits in a blocked main thread


class Clock(Protocol):
    """What :class:`tinyio.Loop` needs from a clock (spec: ``time/clock``)."""

    def now(self) -> float:
        """The current time in seconds; it never decreases."""
        ...

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        """Block until ``wake`` is set or ``timeout`` seconds have passed on this clock (``None``: until woken)."""
        ...


class RealClock:
    """Wall-clock time from :func:`time.monotonic`; the default clock of every :class:`tinyio.Loop`."""

    def now(self) -> float:
        """The current value of :func:`time.monotonic`."""
        return time.monotonic()

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        """Block on ``wake`` for at most ``timeout`` seconds; in the main thread, Ctrl-C ends the wait promptly."""
        del threads_running
        if threading.current_thread() is not threading.main_thread():
            wake.wait(None if timeout is None else min(max(timeout, 0.0), _MAX_WAIT))  # spec: time/huge
            return
        # spec: errors/interrupt — a signal interrupts a blocked wait, but one that lands just before the wait begins
        # would go unnoticed until something else woke the loop; so the main thread looks for pending signals (by
        # running a bytecode) every _SIGNAL_CHECK seconds. That is a wake-up ten times a second, never a busy loop.
        deadline = None if timeout is None else time.monotonic() + max(timeout, 0.0)
        while True:
            part = _SIGNAL_CHECK if deadline is None else min(_SIGNAL_CHECK, deadline - time.monotonic())
            if part <= 0 or wake.wait(part):
                return
