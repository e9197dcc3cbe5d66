"""Events and time: :class:`Event`, :func:`sleep`, and the park request both of them yield to the loop.

A coroutine that waits on an event or a timer yields a :class:`_Park` to the loop (spec: ``event/wait``,
``time/sleep``). The loop keeps the park in its timer heap (when it has a deadline) and the event keeps it in its
waiter table (when it has an event); whichever fires first wins and removes the other, so neither outlives the wait
(spec: ``inv/no-stale-waits``). Events may be set from any thread; a small lock makes registering and setting atomic
with respect to each other, so no wake-up is lost (spec: ``event/thread-safe``).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._loop import Loop

__all__ = ["Event", "sleep"]


class _Park:
    """One wait: on ``event`` (or none), for at most ``timeout`` seconds (or no limit). Unique per wait.

    ``stand_in`` is nonzero when the loop parked ``gen`` in place of the :func:`sleep` / :meth:`Event.wait` coroutine
    that ``gen`` yielded. Such a coroutine does nothing but park, so when nothing but the loop refers to it, the loop
    does not run it: it queues the park itself where the coroutine would have taken a turn -- when it would have
    started (``stand_in == STARTING``: it parks then) and when it would have returned (``RETURNING``) -- so that
    ``gen`` resumes in exactly the same turn (spec: ``sched/cost``). The loop calls :meth:`send` like a coroutine's.
    """

    __slots__ = ("event", "timeout", "gen", "loop", "timed", "stand_in")

    def __init__(self, event: Event | None, timeout: float | None) -> None:
        self.event = event
        self.timeout = timeout
        self.gen: Generator[Any, Any, Any] | None = None
        self.loop: Loop | None = None
        self.timed = False
        self.stand_in = 0

    def send(self, value: Any) -> object:
        return self.loop._take_turn(self, value)  # type: ignore[union-attr]


STARTING, RETURNING = 1, 2  # _Park.stand_in


def _seconds(value: object, what: str) -> float | None:
    """Validate a duration at call time (spec: ``time/durations``): ``None`` means no limit."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        if isinstance(value, bool):
            raise TypeError(f"{what} must be a number of seconds, got a bool; pass 0 or 1 if you meant that")
        # spec: time/durations — a number is anything with __float__ (Fraction, Decimal, numpy scalars…); a str is
        # not, although float() would parse it
        if not hasattr(type(value), "__float__"):
            raise TypeError(f"{what} must be a number of seconds (int or float), got {type(value).__name__}")
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise TypeError(f"{what} must be a number of seconds (int or float), got {type(value).__name__}") from None
    else:
        number = float(value)
    if math.isnan(number):
        raise ValueError(f"{what} must be a number of seconds, got nan; use math.inf to wait until cancelled")
    if number == math.inf:
        return None  # spec: time/durations — inf waits until cancelled (or until the event is set)
    return max(number, 0.0)  # spec: time/durations — zero and negatives mean "do not wait"


def _wait(park: _Park) -> Generator[Any, Any, bool]:
    return (yield park)  # type: ignore[no-any-return]


def _sleep(park: _Park) -> Generator[Any, Any, None]:
    yield park


# The coroutines that do nothing but park: the loop may take their turns itself (see _Park and Loop._await).
PARKING_CODES = frozenset({_wait.__code__, _sleep.__code__})


def sleep(delay_in_seconds: int | float) -> Generator[Any, Any, None]:
    """A coroutine that finishes after ``delay_in_seconds`` seconds on the loop's clock (spec: ``time/sleep``).

    ``0`` and negative delays give the other coroutines one turn and then return; ``math.inf`` sleeps until the loop
    is cancelled; ``nan`` and non-numbers raise at call time (spec: ``time/durations``).

    Example::

        def tick():
            yield tinyio.sleep(0.5)
            return "tock"
    """
    return _sleep(_Park(None, _seconds(delay_in_seconds, "sleep(delay_in_seconds)")))


class Event:
    """A flag that coroutines can wait for; set and cleared from coroutines or from any thread (spec: ``event/*``).

    Example::

        done = tinyio.Event()

        def waiter():
            was_set = yield done.wait(timeout_in_seconds=5)
            return was_set

        def setter():
            yield
            done.set()
    """

    __slots__ = ("_flag", "_waiters", "_lock", "__weakref__")

    def __init__(self) -> None:
        self._flag = False
        self._waiters: dict[_Park, None] = {}
        self._lock = threading.Lock()

    def is_set(self) -> bool:
        """Whether the event is set."""
        return self._flag

    def set(self) -> None:
        """Set the event and wake every coroutine waiting on it, in the order they began to wait (``event/set``)."""
        with self._lock:
            if self._flag:
                return
            self._flag = True
            waiters, self._waiters = self._waiters, {}
        for park in waiters:
            park.loop._event_fired(park)  # type: ignore[union-attr]

    def clear(self) -> None:
        """Unset the event. Coroutines already woken by an earlier :meth:`set` stay woken (``event/clear``)."""
        self._flag = False

    def wait(self, timeout_in_seconds: None | int | float = None) -> Generator[Any, Any, bool]:
        """A coroutine that returns ``True`` once the event is set, or ``False`` after ``timeout_in_seconds``.

        The original tinyio returned ``None``; returning whether the event was set is a deliberate extension
        (spec: ``event/wait-result``). Waiting on an event that is already set still gives the other coroutines a
        turn first (spec: ``sched/every-yield``).
        """
        timeout = None if timeout_in_seconds is None else _seconds(timeout_in_seconds, "wait(timeout_in_seconds)")
        return _wait(_Park(self, timeout))

    def __bool__(self) -> bool:
        raise TypeError("an Event has no truth value: use event.is_set() to test it (spec: event/no-bool)")

    def __repr__(self) -> str:
        return f"<tinyio.Event {'set' if self._flag else 'unset'}, {len(self._waiters)} waiting>"

    # The loop's side of the protocol. Both calls may race with set() in another thread; the lock orders them.
    def _register(self, park: _Park) -> bool:
        with self._lock:
            if self._flag:
                return False
            self._waiters[park] = None
            return True

    def _unregister(self, park: _Park) -> None:
        with self._lock:
            self._waiters.pop(park, None)
