"""Driving a loop from outside: :meth:`tinyio.Loop.runtime`, one round per ``next()`` (spec: ``runtime/*``).

This is how another event loop (asyncio, trio: :mod:`tinyio._bridges`) runs tinyio inside its own: it calls ``next``
on the step generator, and when it gets a ``wait`` callable back it waits in its own way (in a thread, say) rather
than calling ``wait`` on the spot. The loop itself is the one :meth:`tinyio.Loop.run` uses; only the driving differs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ._loop import Loop

_R = TypeVar("_R")
_Steps = Generator[None | Callable[[], None], None, Any]


@contextlib.contextmanager
def drive(loop: Loop, coro: Generator[Any, Any, _R], exception_group: None | bool) -> Iterator[_Steps]:
    loop._start(coro, exception_group)
    steps = _steps(loop, exception_group)
    try:
        yield steps
    except BaseException as error:
        if loop._is_running:  # spec: runtime/leave-early — the driver failed; clean up, let its error through
            steps.close()
            loop._crash(None, error)
            loop._end(False)
        raise
    if loop._is_running:  # spec: runtime/leave-early
        steps.close()
        message = "left Loop.runtime() before the coroutine finished: keep calling next() until StopIteration"
        loop._crash(None, RuntimeError(message))
        _, failure = loop._end(False)
        raise failure  # type: ignore[misc]


def _steps(loop: Loop, exception_group: None | bool) -> _Steps:
    try:
        while True:
            loop._advance(until_blocked=False)
            if not loop._alive:
                break
            yield None if loop._ready or loop._inbox else loop._block
    except GeneratorExit:
        raise  # the driver closed us; drive() cleans up
    except BaseException as error:  # spec: errors/interrupt
        loop._crash(None, error)
    result, failure = loop._end(exception_group)
    if failure is not None:
        raise failure
    return result
