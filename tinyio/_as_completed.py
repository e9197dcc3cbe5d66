"""Results in completion order: :func:`as_completed`, built on background coroutines and :class:`tinyio.Event`.

Each given coroutine gets a small *reporter* that awaits it (starting it, or joining it if it already runs) and, when
it finishes, appends its result to a list and sets the event of that position. The k-th coroutine handed out by the
iterator waits on the k-th event, so it gives the k-th result to arrive, whatever order the handed-out coroutines are
awaited in (spec: ``as-completed/order``). Everything is O(1) per completion.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator
from types import GeneratorType
from typing import Any, Generic, TypeVar

from ._event import Event

__all__ = ["as_completed"]

_T = TypeVar("_T")


class _Completions(Generic[_T]):
    __slots__ = ("results", "events")

    def __init__(self, count: int) -> None:
        self.results: list[_T] = []
        self.events = [Event() for _ in range(count)]

    def report(self, coro: Generator[Any, Any, _T]) -> Generator[Any, Any, None]:
        result = yield coro
        self.results.append(result)
        self.events[len(self.results) - 1].set()

    def nth(self, index: int) -> Generator[Any, Any, _T]:
        yield self.events[index].wait()
        return self.results[index]


def _as_completed(coros: list[Generator[Any, Any, _T]]) -> Generator[Any, Any, Iterator[Generator[Any, Any, _T]]]:
    completions: _Completions[_T] = _Completions(len(coros))
    yield {completions.report(coro) for coro in coros}  # spec: as-completed/start — all start now
    return (completions.nth(index) for index in range(len(coros)))


def as_completed(coros: Iterable[Generator[Any, Any, _T]]) -> Generator[Any, Any, Iterator[Generator[Any, Any, _T]]]:
    """A coroutine that starts every coroutine of ``coros`` and returns an iterator of their results in finishing order.

    The iterator hands out one coroutine per given coroutine; the k-th one handed out returns the result of the k-th
    coroutine to finish (spec: ``as-completed/order``). Coroutines that are already running are joined, not restarted;
    the same coroutine given twice counts once (``as-completed/duplicates``).

    Example::

        def main():
            for next_done in (yield tinyio.as_completed({fetch(a), fetch(b), fetch(c)})):
                page = yield next_done
                print("got", page)
    """
    if isinstance(coros, (GeneratorType, str, bytes)) or not isinstance(coros, Iterable):
        raise TypeError(
            "tinyio.as_completed(coros) needs a collection of coroutines, e.g. a set: "
            f"tinyio.as_completed({{a(), b()}}), got {type(coros).__name__}"
        )
    unique: dict[int, Generator[Any, Any, _T]] = {}
    for coro in coros:
        if not isinstance(coro, GeneratorType):  # spec: as-completed/bad-input
            hint = "; call it: f() instead of f" if callable(coro) else ""
            raise TypeError(
                f"tinyio.as_completed: an element is {type(coro).__name__} {coro!r:.60}, not a coroutine{hint}"
            )
        unique.setdefault(id(coro), coro)  # spec: as-completed/duplicates
    return _as_completed(list(unique.values()))
