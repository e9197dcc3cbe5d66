"""Synchronisation: :class:`Semaphore`, :class:`Lock` and :class:`Barrier`, built on :class:`tinyio.Event`.

A semaphore hands a released permit *directly* to the first coroutine in its queue instead of putting it back, so a
coroutine that arrives later sees no free permit and queues behind: nobody who was woken can be overtaken
(spec: ``sync/fifo``). Each queued acquisition has its own :class:`Event`; a queue entry whose coroutine was cancelled
(or stopped by :func:`tinyio.timeout`) is marked gone, skipped by the next release and compacted away when such
entries pile up, so abandoning costs O(1) and a release never lands on a coroutine that is no longer there
(spec: ``sync/abandon``). A permit that was handed over but never reached its coroutine, or that its holder drops
without ``with``, goes back to the semaphore (spec: ``sync/no-leak``).

A small lock guards the counters, as in :class:`Event`, so these objects may be shared by loops running in different
threads (spec: ``sync/threads``).
"""

from __future__ import annotations

import operator
import threading
from collections import deque
from collections.abc import Generator
from types import TracebackType
from typing import Any

from ._event import Event

__all__ = ["Barrier", "Lock", "Semaphore"]

_WAITING, _GRANTED, _GONE = 0, 1, 2


def _count(value: object, what: str) -> int:
    """Validate a positive whole number at call time (spec: ``sync/value``, ``barrier/value``)."""
    if isinstance(value, bool):
        raise TypeError(f"{what} must be a positive int, got a bool; pass 1 if you meant one")
    try:
        number = operator.index(value)  # type: ignore[arg-type]  # int, numpy integers, ...; not 2.0
    except TypeError:
        raise TypeError(f"{what} must be a positive int, got {type(value).__name__} {value!r:.40}") from None
    if number < 1:
        raise ValueError(f"{what} must be a positive int (at least 1), got {number}")
    return number


class _Waiter:
    """One queued acquisition."""

    __slots__ = ("event", "state")

    def __init__(self) -> None:
        self.event = Event()
        self.state = _WAITING


class _Permit:
    """What ``yield semaphore()`` gives: a context manager that releases the permit when its ``with`` block ends."""

    __slots__ = ("_semaphore",)

    def __init__(self, semaphore: Semaphore) -> None:
        self._semaphore: Semaphore | None = semaphore

    def __enter__(self) -> None:
        if self._semaphore is None:
            raise RuntimeError("this permit was already released; acquire a new one with `with (yield semaphore()):`")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        semaphore, self._semaphore = self._semaphore, None
        if semaphore is not None:
            semaphore._release()

    def __del__(self) -> None:
        # spec: sync/no-leak — a permit dropped unused (its coroutine was stopped before it received it, or it was
        # never entered) goes back rather than leaking.
        semaphore, self._semaphore = self._semaphore, None
        if semaphore is not None:
            semaphore._release()


class Semaphore:
    """At most ``value`` coroutines at a time inside ``with (yield semaphore()):`` (spec: ``sync/*``).

    Waiting coroutines get permits in the order they asked for them (``sync/fifo``). A coroutine that is cancelled or
    timed out while it waits gives up its place, or passes on a permit it was just handed (``sync/abandon``).

    Example::

        downloads = tinyio.Semaphore(3)

        def download(url):
            with (yield downloads()):  # at most 3 downloads at once
                return (yield tinyio.run_in_thread(fetch, url))
    """

    __slots__ = ("_value", "_waiters", "_gone", "_lock", "__weakref__")

    def __init__(self, value: int) -> None:
        self._value = _count(value, f"{type(self).__name__}(value)")  # spec: sync/value
        self._waiters: deque[_Waiter] = deque()
        self._gone = 0  # queue entries of coroutines that stopped waiting
        self._lock = threading.Lock()

    def __call__(self) -> Generator[Any, Any, _Permit]:
        """A coroutine that waits for a permit and returns it as a context manager; ``with`` releases it."""
        return self._acquire()

    @property
    def available(self) -> int:
        """How many permits are free right now (spec: ``sync/available``)."""
        return self._value

    def _acquire(self) -> Generator[Any, Any, _Permit]:
        with self._lock:
            if self._value:  # a free permit means nobody is queued (releases hand over to the queue first)
                self._value -= 1
                waiter = None
            else:
                waiter = _Waiter()
                self._waiters.append(waiter)  # spec: sync/fifo
        if waiter is not None:
            try:
                yield waiter.event.wait()
            except BaseException:  # cancelled, timed out or closed while queued: spec: sync/abandon
                self._abandon(waiter)
                raise
        return _Permit(self)

    def _release(self) -> None:
        with self._lock:
            waiters = self._waiters
            while waiters:
                waiter = waiters.popleft()
                if waiter.state == _WAITING:
                    waiter.state = _GRANTED  # spec: sync/fifo — straight to the first in line; the count stays 0
                    break
                self._gone -= 1
            else:
                self._value += 1
                return
        waiter.event.set()

    def _abandon(self, waiter: _Waiter) -> None:
        with self._lock:
            granted = waiter.state == _GRANTED
            if not granted:
                waiter.state = _GONE
                self._gone += 1
                if self._gone > 64 and 2 * self._gone > len(self._waiters):  # keep dead entries a minority
                    self._waiters = deque(w for w in self._waiters if w.state == _WAITING)
                    self._gone = 0
        if granted:  # spec: sync/abandon — a permit handed to a coroutine that is gone goes to the next in line
            self._release()

    def __repr__(self) -> str:
        waiting = len(self._waiters) - self._gone
        return f"<tinyio.{type(self).__name__}: {self._value} available, {waiting} waiting>"


class Lock(Semaphore):
    """A :class:`Semaphore` with one permit: one coroutine at a time inside ``with (yield lock()):``.

    It is not re-entrant: a coroutine that asks again while it holds the lock waits for itself forever.

    Example::

        lock = tinyio.Lock()

        def append_line(path, line):
            with (yield lock()):
                yield tinyio.run_in_thread(write_line, path, line)
    """

    __slots__ = ()

    def __init__(self) -> None:
        super().__init__(1)


class _Arrival:
    __slots__ = ("event", "index")

    def __init__(self, event: Event) -> None:
        self.event = event
        self.index: int | None = None


class Barrier:
    """Holds coroutines in :meth:`wait` until ``value`` of them wait, then lets them all go (spec: ``barrier/*``).

    ``yield barrier.wait()`` returns the coroutine's place in its group, ``0`` to ``value - 1`` in the order they
    arrived. The barrier then starts over for the next group (``barrier/cyclic``).

    Example::

        barrier = tinyio.Barrier(2)

        def worker(name):
            yield tinyio.run_in_thread(prepare, name)
            index = yield barrier.wait()  # both are prepared past this line
            return index
    """

    __slots__ = ("_parties", "_arrived", "_event", "_lock", "__weakref__")

    def __init__(self, value: int) -> None:
        self._parties = _count(value, "Barrier(value)")  # spec: sync/value
        self._arrived: list[_Arrival] = []
        self._event = Event()
        self._lock = threading.Lock()

    @property
    def parties(self) -> int:
        """How many coroutines make a group."""
        return self._parties

    def wait(self) -> Generator[Any, Any, int]:
        """A coroutine that waits until the group is complete and returns this coroutine's index in it."""
        return self._wait()

    def _wait(self) -> Generator[Any, Any, int]:
        with self._lock:
            arrival = _Arrival(self._event)
            self._arrived.append(arrival)
            if len(self._arrived) == self._parties:  # spec: barrier/release — the last one completes the group
                group, self._arrived, self._event = self._arrived, [], Event()  # spec: barrier/cyclic
                for index, member in enumerate(group):  # spec: barrier/index — arrival order
                    member.index = index
            else:
                group = None
        if group is not None:
            arrival.event.set()
        else:
            try:
                yield arrival.event.wait()
            except BaseException:  # spec: barrier/abandon — a coroutine that stops waiting does not count
                with self._lock:
                    if arrival.index is None:
                        self._arrived.remove(arrival)
                raise
        assert arrival.index is not None
        return arrival.index

    def __repr__(self) -> str:
        return f"<tinyio.Barrier: {len(self._arrived)} of {self._parties} waiting>"
