"""Threads: :func:`run_in_thread`, and how cancellation reaches a thread.

A thread call is a :class:`_ThreadCall` that the coroutine yields to the loop (spec: ``threads/run``). The loop starts
it and parks the coroutine; when the function returns or raises, the thread puts the call into the loop's inbox and
sets the loop's wake-up event, which is the only cross-thread hand-off there is (spec: ``threads/result``,
``threads/error``).

Cancellation is delivered with ``PyThreadState_SetAsyncExc``: CPython raises :class:`CancelledError` in the thread the
next time it runs Python bytecode (spec: ``threads/cancel``). A thread blocked inside C code sees it only when the call
returns to Python. Every call carries a small state machine guarded by a lock -- pending, running, done -- so that a
cancellation is never delivered after the function has finished: once done, any exception still pending is withdrawn
(spec: ``threads/no-late-cancel``).
"""

from __future__ import annotations

import ctypes
import threading
from collections import deque
from collections.abc import Callable, Generator
from typing import Any, ParamSpec, TypeVar

from ._errors import CancelledError

__all__ = ["run_in_thread"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_PENDING, _RUNNING, _DONE = 0, 1, 2

# Loops currently running, by the thread they run in: a cancelled thread that is blocked in a nested loop must be woken
# for the cancellation to reach it (spec: ``nesting/thread-cancel``). Maintained by the loop.
loops_by_thread: dict[int, list[threading.Event]] = {}


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exc is None else ctypes.py_object(exc)
    )


class _ThreadCall:
    """One call of ``fn(*args, **kwargs)`` in a thread of its own, on behalf of the coroutine ``gen``."""

    __slots__ = ("fn", "args", "kwargs", "gen", "ok", "value", "_lock", "_state", "_thread_id", "_cancelled")

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.gen: Generator[Any, Any, Any] | None = None
        self.ok = False
        self.value: Any = None
        self._lock = threading.Lock()
        self._state = _PENDING
        self._thread_id: int | None = None
        self._cancelled = False

    def start(self, gen: Generator[Any, Any, Any], inbox: deque[Any], wakeup: threading.Event) -> None:
        self.gen = gen
        threading.Thread(target=self._main, args=(inbox, wakeup), name=f"tinyio: {self.name}", daemon=True).start()

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)

    def _main(self, inbox: deque[Any], wakeup: threading.Event) -> None:
        try:
            with self._lock:
                self._thread_id = threading.get_ident()
                self._state = _RUNNING
                if self._cancelled:  # spec: threads/cancel — cancelled before it began: fn never runs
                    raise CancelledError
            self.value = self.fn(*self.args, **self.kwargs)
            self.ok = True
        except BaseException as error:
            self.value = error
            self.ok = False
        # The function is over: close the door on cancellation, withdrawing one that is pending but not yet raised.
        while True:
            try:
                with self._lock:
                    self._state = _DONE
                    _set_async_exc(threading.get_ident(), None)
                break
            except CancelledError:  # spec: threads/no-late-cancel — arrived after fn finished; fn's outcome stands
                continue
        self.fn = self.args = self.kwargs = None  # type: ignore[assignment]
        inbox.append((self, None))
        wakeup.set()

    def cancel(self) -> bool:
        """Deliver :class:`CancelledError` to the thread; ``False`` if the function has already finished."""
        with self._lock:
            if self._state == _DONE:
                return False
            self._cancelled = True
            thread_id = self._thread_id
            if thread_id is not None:
                _set_async_exc(thread_id, CancelledError)
        if thread_id is not None:
            for wakeup in loops_by_thread.get(thread_id, ()):  # spec: nesting/thread-cancel
                wakeup.set()
        return True


def _in_thread(call: _ThreadCall) -> Generator[Any, Any, Any]:
    return (yield call)


def run_in_thread(fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Generator[Any, Any, _R]:
    """A coroutine that runs ``fn(*args, **kwargs)`` in a thread and returns its result (spec: ``threads/run``).

    An exception raised by ``fn`` is raised at the coroutine's ``yield`` (``threads/error``). If the loop crashes while
    ``fn`` runs, :class:`tinyio.CancelledError` is raised inside the thread the next time it runs Python code, and
    :meth:`Loop.run` waits for the thread to end (``threads/cancel``, ``threads/joined``).

    Example::

        def main():
            text = yield tinyio.run_in_thread(pathlib.Path("data.txt").read_text)
            return len(text)
    """
    if not callable(fn):
        raise TypeError(f"run_in_thread(fn, ...) needs a callable first argument, got {type(fn).__name__}")
    return _in_thread(_ThreadCall(fn, args, kwargs))
