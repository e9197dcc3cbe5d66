"""Thread pools: :class:`ThreadPool` bounds how many of its calls run at once.

A pool owns no threads. Its calls run on the loop's reused worker threads like any :func:`tinyio.run_in_thread` call
(spec: ``pool/reuse``); the pool only hands out at most ``max_threads`` *slots* (spec: ``pool/max-threads``).
A slot is taken before the call is handed to a worker and given back by the worker itself, once the function has
ended and can no longer be cancelled -- not when the waiting coroutine is cancelled -- so even while a crash is being
cleaned up no more than ``max_threads`` functions of the pool run at once, in any number of loops or threads.

Waiters queue first come, first served: a released slot is handed straight to the oldest waiter, so a newcomer never
overtakes it (spec: ``pool/fifo``). A waiter that is cancelled while queued marks its ticket dead and the next release
skips it, so withdrawing costs O(1) and never loses a slot (spec: ``pool/cancel``).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable
from typing import Any, ParamSpec, TypeVar

from ._event import Event, _Park
from ._thread import _ThreadCall

__all__ = ["ThreadPool"]

_P = ParamSpec("_P")
_R = TypeVar("_R")
_T = TypeVar("_T")


class _Ticket:
    """A place in a pool's queue. Under the pool's lock: ``granted`` once a slot is handed to it, ``dead`` once its
    waiter has gone. ``event`` wakes the waiter (set after ``granted``, outside the lock)."""

    __slots__ = ("event", "granted", "dead")

    def __init__(self) -> None:
        self.event = Event()
        self.granted = False
        self.dead = False


class ThreadPool:
    """Runs functions in threads, at most ``max_threads`` of them at once (spec: ``pool/max-threads``).

    A pool may be shared by coroutines of several loops, also loops running in different threads; the bound holds
    across all of them. It has nothing to close: its calls run on the loops' own worker threads.

    Example::

        import hashlib
        import tinyio

        pool = tinyio.ThreadPool(4)

        def digest(data):
            return hashlib.sha256(data).hexdigest()[:8]

        def main():
            digests = yield pool.map(digest, [b"a", b"b", b"c"])
            one = yield pool.run_in_thread(digest, b"a")
            return digests, one

        digests, one = tinyio.Loop().run(main())
        assert digests[0] == one and len(set(digests)) == 3
    """

    __slots__ = ("_max_threads", "_lock", "_running", "_queue")

    def __init__(self, max_threads: int) -> None:
        if isinstance(max_threads, bool) or not isinstance(max_threads, int):  # spec: pool/max-threads
            raise TypeError(f"ThreadPool(max_threads) needs a positive int, got {type(max_threads).__name__}")
        if max_threads < 1:
            raise ValueError(f"ThreadPool(max_threads) needs a positive int (1 or more), got {max_threads}")
        self._max_threads = max_threads
        self._lock = threading.Lock()
        self._running = 0  # slots held; while any live ticket is queued this equals max_threads
        self._queue: deque[_Ticket] = deque()

    @property
    def max_threads(self) -> int:
        """The most calls of this pool that run at once."""
        return self._max_threads

    def run_in_thread(self, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Generator[Any, Any, _R]:
        """A coroutine that waits for a free slot, then runs ``fn(*args, **kwargs)`` in a thread and returns its result.

        Errors and cancellation behave exactly as for :func:`tinyio.run_in_thread` (spec: ``pool/like-run-in-thread``).

        Example::

            import tinyio

            pool = tinyio.ThreadPool(2)

            def main():
                return (yield pool.run_in_thread(sum, [1, 2, 3]))

            assert tinyio.Loop().run(main()) == 6
        """
        if not callable(fn):
            raise TypeError(
                f"ThreadPool.run_in_thread(fn, ...) needs a callable first argument, got {type(fn).__name__}"
            )
        return self._run(_ThreadCall(fn, args, kwargs))

    def map(self, fn: Callable[[_T], _R], /, xs: Iterable[_T]) -> Generator[Any, Any, list[_R]]:
        """A coroutine that runs ``fn(x)`` for every ``x`` of ``xs`` in this pool and returns the results in order.

        ``xs`` is read when ``map`` is called. The first error crashes the loop like any error (spec: ``pool/map``).

        Example::

            import tinyio

            pool = tinyio.ThreadPool(2)

            def main():
                return (yield pool.map(abs, [-1, 2, -3]))

            assert tinyio.Loop().run(main()) == [1, 2, 3]
        """
        if not callable(fn):
            raise TypeError(f"ThreadPool.map(fn, xs) needs a callable first argument, got {type(fn).__name__}")
        calls = [self._run(_ThreadCall(fn, (x,), {})) for x in xs]
        return self._gather(calls)

    @staticmethod
    def _gather(calls: list[Generator[Any, Any, _R]]) -> Generator[Any, Any, list[_R]]:
        return (yield calls)  # type: ignore[no-any-return]

    def _run(self, call: _ThreadCall) -> Generator[Any, Any, Any]:
        with self._lock:
            if self._running < self._max_threads:  # no live ticket can be queued while a slot is free
                self._running += 1
                ticket = None
            else:
                ticket = _Ticket()
                self._queue.append(ticket)
        if ticket is not None:
            try:
                yield _Park(ticket.event, None)  # spec: pool/fifo — woken only by a release that hands it the slot
            except BaseException:  # spec: pool/cancel — cancelled (or timed out) while queued
                with self._lock:
                    granted = ticket.granted
                    ticket.dead = True
                if granted:  # the slot was already ours: pass it on
                    self._release()
                raise
        call.on_done = self._release  # spec: pool/max-threads — the slot is freed once fn can no longer run
        return (yield call)

    def _release(self) -> None:
        with self._lock:
            while self._queue:
                ticket = self._queue.popleft()
                if not ticket.dead:
                    ticket.granted = True
                    break
            else:
                self._running -= 1
                return
        ticket.event.set()  # the slot passes to this waiter; _running stays the same

    def __repr__(self) -> str:
        return f"<tinyio.ThreadPool max_threads={self._max_threads}, {self._running} running>"
