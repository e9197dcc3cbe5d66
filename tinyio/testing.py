"""Helpers for testing tinyio code: a virtual clock, so tests never wait on wall-clock time.

Example::

    import tinyio, tinyio.testing

    def slow():
        yield tinyio.sleep(3600)  # an hour, virtually
        return "done"

    clock = tinyio.testing.VirtualClock()
    assert tinyio.Loop(clock=clock).run(slow()) == "done"
    assert clock.now() == 3600.0
"""

from __future__ import annotations

import math
import threading

__all__ = ["Deadlock", "VirtualClock"]


def _wait_interruptibly(wake: threading.Event) -> None:
    """Wait for ``wake``; in the main thread, wake up ten times a second so that a pending Ctrl-C is seen (spec:
    ``errors/interrupt``: a signal that lands just before a wait begins would otherwise go unnoticed)."""
    if threading.current_thread() is not threading.main_thread():
        wake.wait()
        return
    while not wake.wait(0.1):
        pass


class Deadlock(RuntimeError):
    """Raised by :class:`VirtualClock` when the loop would block forever (spec: ``testing/deadlock``).

    Every coroutine waits, no timer is pending and no thread started by the loop is running: nothing in the loop can
    ever wake it. Like any error raised while the loop waits, it crashes the loop, so every coroutine is cancelled and
    ``Loop.run`` raises it.

    Example::

        import tinyio, tinyio.testing

        def stuck():
            yield tinyio.Event().wait()  # nobody will ever set it

        try:
            tinyio.Loop(clock=tinyio.testing.VirtualClock()).run(stuck())
        except tinyio.testing.Deadlock:
            pass
    """


class VirtualClock:
    """A clock for tests: time passes only when the loop has nothing else to do, and then instantly.

    With ``autojump=True`` (the default), when every coroutine waits and no thread started by the loop is running,
    the clock jumps straight to the next deadline instead of sleeping (spec: ``testing/autojump``), like trio's
    ``MockClock(autojump_threshold=0)``. While a thread runs, virtual time stands still: the loop waits (in real time)
    for the thread to report back, so a timer never fires because a thread was slow (spec: ``testing/threads``).

    With ``autojump=False`` time moves only when :meth:`advance` is called, from a coroutine or from another thread.

    If the loop would block with no timer and no thread -- only an :class:`~tinyio.Event` set from a thread that the
    loop did not start could ever wake it -- the clock waits ``deadlock_after`` real seconds for such a wake-up and
    then raises :class:`Deadlock` (spec: ``testing/deadlock``). ``deadlock_after=None`` waits forever, as the real
    clock does.

    Example::

        import tinyio, tinyio.testing

        def ticker(log):
            for _ in range(3):
                yield tinyio.sleep(10)
                log.append(clock.now())

        clock = tinyio.testing.VirtualClock()
        log = []
        tinyio.Loop(clock=clock).run(ticker(log))  # returns at once
        assert log == [10.0, 20.0, 30.0]
    """

    def __init__(self, start: float = 0.0, *, autojump: bool = True, deadlock_after: float | None = 0.0) -> None:
        if math.isnan(start) or math.isinf(start):
            raise ValueError(f"VirtualClock(start) must be a finite number of seconds, got {start!r}")
        self._now = float(start)
        self._autojump = autojump
        self._deadlock_after = deadlock_after
        self._wake: threading.Event | None = None
        self._advanced = False  # advance() was called since the loop last waited: let it look at its timers
        self._lock = threading.Lock()

    def now(self) -> float:
        """The current virtual time in seconds (spec: ``testing/virtual-clock``)."""
        return self._now

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by ``seconds`` (>= 0) and let a waiting loop look at its timers again.

        Safe to call from a coroutine or from any thread.

        Example::

            import tinyio, tinyio.testing

            clock = tinyio.testing.VirtualClock(autojump=False)

            def main():
                sleeper = tinyio.sleep(5)
                yield {sleeper}
                clock.advance(5)
                yield sleeper
                return clock.now()

            assert tinyio.Loop(clock=clock).run(main()) == 5.0
        """
        if not seconds >= 0 or math.isinf(seconds):
            raise ValueError(f"VirtualClock.advance(seconds) needs a finite number >= 0, got {seconds!r}")
        with self._lock:
            self._now += seconds
            self._advanced = True
            wake = self._wake
        if wake is not None:
            wake.set()

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        """Called by the loop when it has nothing to run: jump, wait for a thread, or report a deadlock."""
        if wake.is_set():
            return
        if self._autojump and not threads_running:
            if timeout is not None:  # spec: testing/autojump — nothing can happen before the deadline: go there
                with self._lock:
                    # Never stand still, even if rounding makes now + timeout == now.
                    self._now = max(self._now + max(timeout, 0.0), math.nextafter(self._now, math.inf))
                return
            # spec: testing/deadlock — only a thread the loop did not start could still set an event
            if self._deadlock_after is None:
                _wait_interruptibly(wake)
                return
            if not wake.wait(self._deadlock_after):
                raise Deadlock(
                    "the loop would wait forever: every coroutine waits, and no timer is pending and no thread is "
                    "running (set the Event the coroutines wait for, or pass VirtualClock(deadlock_after=None) if "
                    "a thread the loop did not start will set it)"
                )
            return
        with self._lock:
            if self._advanced:  # time moved after the loop computed its timeout: let it recompute
                self._advanced = False
                return
            self._wake = wake
        try:
            # spec: testing/threads — virtual time stands still while a thread runs; advance() also wakes us.
            _wait_interruptibly(wake)
        finally:
            with self._lock:
                self._wake = None
                self._advanced = False
