"""Timeouts: :func:`timeout` and :class:`TimeoutError`.

``timeout(coro, seconds)`` returns a small wrapper coroutine that opens a scope (see :mod:`tinyio._scope`), starts a
*watcher* coroutine that waits on an :class:`~tinyio.Event` for ``seconds``, and runs ``coro`` inline with
``yield from``. If the wrapper finishes first it sets the event and the watcher ends at once (spec:
``timeout/no-leftovers``); if the watcher's wait times out, it tells the loop to interrupt the scope, which stops what
``coro`` started and throws :class:`TimeoutError` at ``coro``'s current ``yield`` (spec: ``timeout/stops``).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any, TypeVar

from ._event import _Park, _seconds
from ._scope import OWN, WRAPPERS, Scope, _Deadline, claim

__all__ = ["TimeoutError", "timeout"]

_T = TypeVar("_T")


class TimeoutError(BaseException):  # noqa: A001 — the name of tinyio 0.4.0
    """Thrown into a coroutine at its current ``yield`` when the deadline of :func:`tinyio.timeout` passes.

    Like :class:`tinyio.CancelledError` it derives from :class:`BaseException`, so ``except Exception`` does not catch
    it by accident. A coroutine may catch it to clean up; whether it then re-raises it or returns, ``timeout`` reports
    that the deadline passed (spec: ``timeout/caught``).

    Example::

        def fetch():
            try:
                return (yield tinyio.run_in_thread(download))
            except tinyio.TimeoutError:
                log("too slow")
                raise
    """


def _check_coro(coro: object) -> None:
    if type(coro).__name__ == "coroutine" and hasattr(coro, "close"):  # async def: no "never awaited" warning
        coro.close()
        raise TypeError("tinyio.timeout(coro, seconds) got an `async def` coroutine; wrap it with tinyio.from_asyncio")
    if not isinstance(coro, Generator):
        raise TypeError(
            f"tinyio.timeout(coro, seconds) needs a coroutine (a generator object) first, got "
            f"{type(coro).__name__} {coro!r:.60}" + ("; call it: f() instead of f" if callable(coro) else "")
        )


def _watch(scope: Scope, seconds: float) -> Generator[Any, Any, None]:
    # A bare park rather than ``scope.done.wait(seconds)``: no child coroutine, so a deadline of 0 is noticed right
    # after the timed coroutine's first step (spec: timeout/seconds).
    done = yield _Park(scope.done, seconds)
    if not done and not scope.closed:
        raise _Deadline(scope)  # the loop interrupts the scope (tinyio._scope.on_error)


def _timed(scope: Scope) -> Generator[Any, Any, tuple[Any, bool]]:
    mode = yield scope
    if mode is OWN:
        mode = claim(scope)  # spec: timeout/shared — unless someone started it since the scope opened
    try:
        if mode is OWN:
            result = yield from scope.coro  # spec: timeout/stops — a throw at us lands at coro's current yield
        else:
            result = yield scope.coro  # spec: timeout/shared — only wait for it
    except TimeoutError as error:
        if error is not scope.error:
            raise  # some other timeout's error: not ours to report
        scope.close()
        return None, False  # spec: timeout/result
    scope.close()
    return result, not scope.interrupted  # spec: timeout/caught — returned after catching it: (value, False)


WRAPPERS.add(_timed.__code__)  # warnings and errors name the coroutine it runs, not _timed


def timeout(
    coro: Generator[Any, Any, _T], timeout_in_seconds: int | float
) -> Generator[Any, Any, tuple[_T | None, bool]]:
    """A coroutine that runs ``coro`` for at most ``timeout_in_seconds`` seconds (spec: ``timeout/*``).

    It returns ``(result, True)`` if ``coro`` returned in time. Otherwise :class:`tinyio.TimeoutError` is thrown at
    ``coro``'s current ``yield``, after every coroutine that only ``coro`` started has been cancelled; once ``coro``
    has finished its clean-up, ``timeout`` returns ``(None, False)`` -- or ``(value, False)`` if ``coro`` caught the
    error and returned ``value``. A ``coro`` that is already running for other coroutines is not stopped: only the
    wait is bounded (``timeout/shared``). ``seconds`` is checked at call time like :func:`tinyio.sleep`'s.

    Example::

        def main():
            page, ok = yield tinyio.timeout(fetch("https://example.org"), 5)
            return page if ok else "too slow"
    """
    seconds = _seconds(timeout_in_seconds, "timeout(coro, timeout_in_seconds)")  # spec: timeout/seconds
    _check_coro(coro)
    scope = Scope("timeout", coro)
    # Made now, not at the deadline: tinyio._scope cannot import this module, and the identity tells our error apart.
    scope.error = TimeoutError("tinyio.timeout: the deadline passed")
    if seconds is not None:  # inf: no deadline, so no watcher
        scope.watcher = _watch(scope, seconds)
    return _timed(scope)
