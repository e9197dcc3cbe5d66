"""The floor: the least a Python generator scheduler can do, to measure every loop against.

One deque of ``(generator, value to send)``; a step is a ``popleft``, a ``send`` and an ``append``. It understands just
what the floor workloads yield -- ``None`` (a checkpoint), a generator (await it) and a list (gather) -- and has no
error handling, no cancellation, no timers and no threads. Anything a real loop does on top of this is overhead.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Generator
from typing import Any

_GeneratorType = type((lambda: (yield))())


def run(main: Generator[Any, Any, Any]) -> Any:
    """Run ``main`` and everything it awaits or gathers; return its result."""
    ready: deque[tuple[Any, Any]] = deque([(main, None)])
    popleft, append = ready.popleft, ready.append
    waiter_of: dict[Any, Any] = {}  # child -> its waiter, or (gather record, index)
    result = None
    while ready:
        gen, value = popleft()
        try:
            out = gen.send(value)
        except StopIteration as stop:
            waiter = waiter_of.pop(gen, None)
            if waiter is None:
                result = stop.value
            elif type(waiter) is tuple:
                record, index = waiter
                record[2][index] = stop.value
                record[1] -= 1
                if not record[1]:
                    append((record[0], record[2]))
            else:
                append((waiter, stop.value))
            continue
        if out is None:
            append((gen, None))
        elif type(out) is _GeneratorType:
            waiter_of[out] = gen
            append((out, None))
        else:  # a list: gather
            record = [gen, len(out), [None] * len(out)]
            if not out:
                append((gen, []))
            for index, child in enumerate(out):
                waiter_of[child] = (record, index)
                append((child, None))
    return result
