"""Isolation: :func:`isolate` and :func:`copy`.

``isolate(coro)`` returns a wrapper coroutine that opens an *isolate* scope (see :mod:`tinyio._scope`) and runs
``coro`` inline with ``yield from``. The scope runs in the same loop as everything else -- so an isolated coroutine
may wait on events, threads and coroutines of the rest of the program -- but an error raised by ``coro`` or by anything
it started stops only the scope, and the wrapper returns ``(error, False)`` (spec: ``isolate/contains``). Like a run
of a loop, an isolate returns only once everything ``coro`` started has finished (spec: ``isolate/waits``).

Deviation from tinyio 0.4.0: there ``isolate`` ran ``coro`` in a nested loop, so a coroutine of the outer loop had to
be wrapped with ``copy`` to be awaited inside. Here ``copy`` is kept for compatibility; it is no longer needed, and a
copy that nobody consumes costs nothing (spec: ``copy/unconsumed``).
"""

from __future__ import annotations

from collections.abc import Generator
from types import GeneratorType
from typing import Any, Literal, TypeVar

from ._scope import WRAPPERS, Scope, claim

__all__ = ["copy", "isolate"]

_R = TypeVar("_R")
_T = TypeVar("_T")


def _isolated(scope: Scope) -> Generator[Any, Any, tuple[Any, bool]]:
    yield scope  # the loop checks the coroutine and opens the scope; an isolate always owns its coroutine
    claim(scope)  # spec: isolate/new-coroutine — and nobody started it since
    result = yield from scope.coro
    loop = scope.loop
    assert loop is not None
    while True:  # spec: isolate/waits — like Loop.run, wait for what the coroutine started in the background
        running = [member for member in scope.members if member in loop._alive]
        if not running:
            break
        yield running
    scope.close()
    return result, True  # spec: isolate/result


WRAPPERS.add(_isolated.__code__)  # warnings and errors name the coroutine it runs, not _isolated


def isolate(
    coro: Generator[Any, Any, _R], /, exception_group: None | bool = None
) -> Generator[Any, Any, tuple[_R, Literal[True]] | tuple[BaseException, Literal[False]]]:
    """A coroutine that runs ``coro`` so that its failure does not crash the loop (spec: ``isolate/*``).

    It returns ``(result, True)`` once ``coro`` and everything it started have finished. If ``coro`` or anything it
    started raises, everything ``coro`` started is cancelled (newest first, then ``coro`` itself), the rest of the
    program carries on, and ``isolate`` returns ``(error, False)``. ``exception_group`` decides, as for
    :meth:`Loop.run`, whether errors raised during that cancellation come along in a :class:`BaseExceptionGroup`.
    ``KeyboardInterrupt`` and ``SystemExit`` are not contained, nor is the cancellation of the caller.

    Example::

        def main():
            value, ok = yield tinyio.isolate(flaky_job())
            if not ok:
                print("job failed:", repr(value))
    """
    if not isinstance(coro, GeneratorType) or coro.gi_frame is None or coro.gi_suspended or coro.gi_running:
        raise _bad(coro)  # spec: isolate/new-coroutine
    if exception_group is not None and not isinstance(exception_group, bool):
        raise TypeError(f"isolate(..., exception_group=...) must be None, True or False, got {exception_group!r:.40}")
    return _isolated(Scope("isolate", coro, exception_group))  # type: ignore[return-value]


def _bad(coro: object) -> Exception:
    if isinstance(coro, GeneratorType):
        state = "has finished" if coro.gi_frame is None else "has already started"
        return RuntimeError(f"tinyio.isolate(coro): the coroutine {state}; isolate needs a new one (call its function)")
    hint = "; call it: f() instead of f" if callable(coro) else ""
    if type(coro).__name__ == "coroutine":
        coro.close()  # type: ignore[attr-defined]
        hint = "; for `async def` code use tinyio.from_asyncio"
    return TypeError(f"tinyio.isolate(coro) needs a coroutine (a generator object), got {type(coro).__name__}{hint}")


def _result_of(coro: Generator[Any, Any, _T]) -> Generator[Any, Any, _T]:
    return (yield coro)  # type: ignore[no-any-return]


def _copy(coro: Generator[Any, Any, _T]) -> Generator[Any, Any, Generator[Any, Any, _T]]:
    yield {coro}  # spec: copy/start — it runs out here, whoever consumes the copy
    return _result_of(coro)


def copy(coro: Generator[Any, Any, _T]) -> Generator[Any, Any, Generator[Any, Any, _T]]:
    """A coroutine that starts ``coro`` in the background and returns a new coroutine giving ``coro``'s result.

    Hand the new coroutine to an isolated coroutine: ``coro`` itself runs outside the isolate, so a failure inside the
    isolate does not cancel it, and it runs to its end even if nobody consumes the copy (spec: ``copy/*``).

    Example::

        def main():
            config = load_config()
            shared = yield tinyio.copy(config)
            result, ok = yield tinyio.isolate(job(shared))  # job does `cfg = yield shared`
    """
    if not isinstance(coro, GeneratorType):
        raise TypeError(f"tinyio.copy(coro) needs a coroutine (a generator object), got {type(coro).__name__}")
    return _copy(coro)
