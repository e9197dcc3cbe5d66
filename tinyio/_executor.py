"""Executors: :func:`run_in_executor` hands a call to any :class:`concurrent.futures.Executor`.

The call is submitted when the coroutine first runs (spec: ``executor/run``). The coroutine then parks on a private
:class:`~tinyio.Event` that the future's done-callback sets -- from whichever thread completes the future -- so waiting
costs no thread of the loop's own and no polling (spec: ``executor/no-thread``). If the coroutine is cancelled, or
anything else is thrown at its ``yield``, it cancels the future before it lets go (spec: ``executor/cancel``).

A running call cannot be stopped through the ``concurrent.futures`` API: ``Future.cancel`` only stops calls that have
not started. The loop does not wait for such a call -- the executor owns its workers, and whoever created the
executor decides when to wait for them (``executor.shutdown(wait=True)``, or the ``with`` block). dask.distributed's
executor is more thorough: its futures can always be cancelled, which releases the task on the cluster.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import Executor, Future
from typing import Any, ParamSpec, TypeVar

from ._event import Event, _Park

__all__ = ["run_in_executor"]

_P = ParamSpec("_P")
_R = TypeVar("_R")


def run_in_executor(
    executor: Executor, fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs
) -> Generator[Any, Any, _R]:
    """A coroutine that runs ``fn(*args, **kwargs)`` on ``executor`` and returns its result (spec: ``executor/run``).

    ``executor`` is anything with the :class:`concurrent.futures.Executor` ``submit`` method: a
    :class:`~concurrent.futures.ProcessPoolExecutor`, a :class:`~concurrent.futures.ThreadPoolExecutor`, or a
    dask.distributed cluster through ``Client.get_executor()``. An error raised by ``fn`` crashes the loop like any
    error (``executor/error``). If the loop is cancelled while the call waits, its future is cancelled
    (``executor/cancel``); a call that is already running is left to finish on its own.

    Example::

        import concurrent.futures
        import math
        import tinyio

        def main(executor):
            return (yield tinyio.run_in_executor(executor, math.factorial, 10))

        with concurrent.futures.ThreadPoolExecutor(max_workers=2) as executor:
            assert tinyio.Loop().run(main(executor)) == 3628800
    """
    submit = getattr(executor, "submit", None)
    if not callable(submit):  # spec: executor/bad-args
        raise TypeError(
            f"run_in_executor(executor, fn, ...) needs a concurrent.futures.Executor (anything with a submit method) "
            f"first, got {type(executor).__name__}"
        )
    if not callable(fn):
        raise TypeError(f"run_in_executor(executor, fn, ...) needs a callable second argument, got {type(fn).__name__}")
    return _run(submit, fn, args, kwargs)


def _run(
    submit: Callable[..., Future[Any]], fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Generator[Any, Any, Any]:
    future = submit(fn, *args, **kwargs)  # spec: executor/run — submitted when the coroutine starts
    if not future.done():
        done = Event()
        future.add_done_callback(lambda _: done.set())  # spec: executor/no-thread — set by the completing thread
        try:
            yield _Park(done, None)
        except BaseException:  # spec: executor/cancel — cancelled, timed out, or closed: the future goes too
            future.cancel()
            raise
    else:
        yield  # spec: sched/every-yield — a finished future still gives the others a turn
    return future.result()  # spec: executor/error — fn's exception (or the future's CancelledError) is raised here
