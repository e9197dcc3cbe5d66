"""Threads: :func:`run_in_thread`, the worker threads that run the calls, and how cancellation reaches a thread.

A thread call is a :class:`_ThreadCall` that the coroutine yields to the loop (spec: ``threads/run``). The loop hands
it to its :class:`_Workers`; when the function returns or raises, the worker puts the call into the loop's inbox and
sets the loop's wake-up event, which is the only cross-thread hand-off there is (spec: ``threads/result``,
``threads/error``).

Workers are reused (spec: ``pool/reuse``). Starting an OS thread costs far more than handing a call to a thread
that waits for one, so each run of a loop keeps the workers it started: calls wait in one queue, a worker that has
just finished takes the next one without being woken, and one idle for longer than ``_Workers.idle_seconds`` retires.
When the run ends, every worker it started is told to stop and joined, so "every thread the loop started has ended
when run returns" stays true (spec: ``threads/joined``, ``pool/workers-end``). Sharing workers between runs would
save a thread start per run but would break that promise; we chose the promise.

Cancellation is delivered with ``PyThreadState_SetAsyncExc``: CPython raises :class:`CancelledError` in the thread the
next time it runs Python bytecode (spec: ``threads/cancel``). A thread blocked inside C code sees it only when the call
returns to Python. Every call carries a small state machine guarded by a lock -- pending, running, done -- so that a
cancellation is never delivered after the function has finished: once done, any exception still pending is withdrawn
(spec: ``threads/no-late-cancel``). Only then does the worker count as idle, so a reused worker never receives a
cancellation meant for an earlier call (spec: ``pool/no-stray-cancel``).
"""

from __future__ import annotations

import contextvars
import ctypes
import queue
import threading
import time
import types
import warnings
from collections import deque
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from ._errors import CancelledError

if TYPE_CHECKING:
    from ._loop import Loop

__all__ = ["run_in_thread"]

_P = ParamSpec("_P")
_R = TypeVar("_R")

_PENDING, _RUNNING, _DONE = 0, 1, 2

# Loops currently running, by the thread they run in: a cancelled thread that is blocked in a nested loop must be woken
# for the cancellation to reach it (spec: ``nesting/thread-cancel``). Maintained by the loop.
loops_by_thread: dict[int, list[threading.Event]] = {}


def attach(loop: Loop) -> None:
    """``loop`` starts to run in this thread (``loop._thread_id``)."""
    loops_by_thread.setdefault(loop._thread_id, []).append(loop._wakeup)


def detach(loop: Loop) -> None:
    """``loop`` has stopped running."""
    wakeups = loops_by_thread.get(loop._thread_id)
    if wakeups is not None:
        wakeups.remove(loop._wakeup)
        if not wakeups:
            del loops_by_thread[loop._thread_id]


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), None if exc is None else ctypes.py_object(exc)
    )


class _Withdrawn(BaseException):
    """Raised on purpose in a worker, and caught at once, to consume a cancellation that came too late."""


def _settle_pending(deliver_to: int | None = None) -> None:
    """Leave no asynchronous exception pending for the current thread (spec: ``threads/no-late-cancel``); first, if
    ``deliver_to`` is a thread id, raise :class:`CancelledError` in that thread (spec: ``threads/cancel``).

    ``PyThreadState_SetAsyncExc`` sets CPython's interpreter-wide "asynchronous exception pending" signal, and on 3.11
    neither withdrawing with ``NULL`` nor anything short of raising an asynchronous exception clears it: the target of
    a delivery clears it only when it raises, which a thread blocked in C code does not do for a while. Meanwhile every
    thread takes the slow path at each eval-breaker check, and under a tracer or profiler (coverage, a debugger,
    ``sys.setprofile``) every traced thread spins at its next Python function call, so the whole program froze. So the
    current thread raises and catches a :class:`_Withdrawn` of its own at once, with no Python function call in
    between (each would spin); raising it clears the signal. A delivered exception stays pending for its target,
    which re-signals it itself when it next takes the GIL and raises it at once (checked on CPython 3.11 to 3.13).
    """
    set_async_exc, own = ctypes.pythonapi.PyThreadState_SetAsyncExc, threading.get_ident()
    try:
        if deliver_to is not None:
            set_async_exc(ctypes.c_ulong(deliver_to), ctypes.py_object(CancelledError))
        set_async_exc(ctypes.c_ulong(own), ctypes.py_object(_Withdrawn))
        for _ in range(100):  # eval-breaker checks: it is raised at the first one
            pass
    except _Withdrawn:
        return
    _set_async_exc(own, None)  # pragma: no cover — not raised in time: withdraw it after all


class _ThreadCall:
    """One call of ``fn(*args, **kwargs)`` in a worker thread, on behalf of the coroutine ``gen``.

    ``on_done``, if set, is called in the worker once the call can no longer be cancelled (a pool frees its slot).
    ``canceller``, if set, replaces the asynchronous exception as the way to cancel the running function: a bridge
    cancels the foreign loop's task instead of raising inside the foreign loop's machinery.
    """

    __slots__ = (
        "fn", "args", "kwargs", "gen", "ok", "value", "on_done", "canceller", "_lock", "_state", "_thread_id",
        "_cancelled",
    )  # fmt: skip

    def __init__(self, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.gen: Generator[Any, Any, Any] | None = None
        self.ok = False
        self.value: Any = None
        self.on_done: Callable[[], None] | None = None
        self.canceller: Callable[[], None] | None = None
        self._lock = threading.Lock()
        self._state = _PENDING
        self._thread_id: int | None = None
        self._cancelled = False

    def start(self, gen: Generator[Any, Any, Any], workers: _Workers) -> None:
        self.gen = gen
        workers.submit(self)

    @property
    def name(self) -> str:
        return getattr(self.fn, "__qualname__", None) or repr(self.fn)

    def _call(self) -> tuple[bool, Any]:
        try:
            with self._lock:
                self._thread_id = threading.get_ident()
                self._state = _RUNNING
                if self._cancelled:  # spec: threads/cancel — cancelled before it began: fn never runs
                    raise CancelledError
            # spec: pool/reuse — a fresh, empty context per call, as a new thread would have: what one call sets in a
            # ContextVar does not leak into the next call on the same worker
            return True, contextvars.Context().run(self.fn, *self.args, **self.kwargs)
        except BaseException as error:
            return False, error

    def execute(self) -> None:
        """Run the call in the current (worker) thread; afterwards no cancellation can reach this thread for it."""
        outcome: tuple[bool, Any] | None = None
        while True:
            # A cancellation may be raised at any bytecode from the moment the state is RUNNING until it is DONE --
            # also outside fn, e.g. while storing its result. Whatever arrives, the call ends in DONE exactly once.
            try:
                if outcome is None:
                    outcome = self._call()
                with self._lock:
                    self._state = _DONE
                    if self._cancelled and self.canceller is None:  # withdraw one that is pending, not yet raised
                        _settle_pending()
                break
            except CancelledError as late:  # spec: threads/no-late-cancel
                if outcome is None:
                    outcome = (False, late)
        self.ok, self.value = outcome
        outcome = None  # spec: reliability/no-cycles — the error's traceback holds this frame, which held the error
        self.fn = self.args = self.kwargs = None  # type: ignore[assignment]
        if self.on_done is not None:
            self.on_done()
            self.on_done = None

    def fail(self, error: BaseException) -> None:
        """End a call that never reached a thread (the OS refused to start one)."""
        with self._lock:
            self._state = _DONE
        self.ok, self.value = False, error
        self.fn = self.args = self.kwargs = None  # type: ignore[assignment]
        if self.on_done is not None:
            self.on_done()
            self.on_done = None

    def cancel(self) -> bool:
        """Deliver :class:`CancelledError` to the thread; ``False`` if the function has already finished."""
        canceller = self.canceller
        with self._lock:
            if self._state == _DONE:
                return False
            self._cancelled = True
            thread_id = self._thread_id
            if thread_id is not None and canceller is None:
                # Wake a loop nested in that thread, then deliver (spec: nesting/thread-cancel).
                for wakeup in tuple(loops_by_thread.get(thread_id, ())):
                    wakeup.set()
                _settle_pending(deliver_to=thread_id)
        if canceller is not None:
            canceller()
        return True


class _Workers:
    """The worker threads of one run of a loop (spec: ``pool/reuse``, ``pool/workers-end``, ``threads/joined``).

    Calls wait in one queue that every worker takes from, so a worker that has just finished a call takes the next
    one without being woken. ``_idle`` counts the workers that will take a call from the queue and have not been
    promised one yet; :meth:`submit` promises each call to one of them, or starts a new worker when there is none. So
    no call ever waits behind another call's function (``run_in_thread`` is unbounded). Threads touch the counters only
    under ``_lock``; the loop's thread calls :meth:`submit` and :meth:`shutdown`.
    """

    __slots__ = ("_inbox", "_wakeup", "_lock", "_calls", "_idle", "_threads", "_live")

    idle_seconds = 10.0  # spec: pool/workers-end — an idle worker retires after this long (the run keeps going)

    def __init__(self, inbox: deque[Any], wakeup: threading.Event) -> None:
        self._inbox = inbox
        self._wakeup = wakeup
        self._lock = threading.Lock()
        self._calls: queue.SimpleQueue[_ThreadCall | None] = queue.SimpleQueue()
        self._idle = 0
        self._threads: list[threading.Thread] = []  # every worker started and not yet known to have ended
        self._live = 0  # workers that have not retired

    def submit(self, call: _ThreadCall) -> None:
        with self._lock:
            if self._idle:  # spec: pool/reuse — a waiting worker takes it
                self._idle -= 1
                thread = None
            else:
                thread = threading.Thread(target=self._serve, name="tinyio worker", daemon=True)
                if len(self._threads) > 2 * self._live + 16:  # forget retired workers that have ended (amortised O(1))
                    self._threads = [t for t in self._threads if t.is_alive()]
                self._threads.append(thread)
                self._live += 1
        if thread is not None:
            try:
                thread.start()
            except BaseException as error:  # e.g. "can't start new thread": raised at the caller's yield
                with self._lock:
                    self._threads.remove(thread)
                    self._live -= 1
                call.fail(error)
                self._inbox.append((call, None))
                self._wakeup.set()
                return
        self._calls.put(call)

    def _serve(self) -> None:
        calls, lock, inbox, wakeup = self._calls, self._lock, self._inbox, self._wakeup
        while True:
            try:
                call = calls.get(timeout=self.idle_seconds)
            except queue.Empty:
                with lock:
                    if self._idle:  # more idle workers than promised calls: this one may go
                        self._idle -= 1
                        self._live -= 1
                        return
                continue  # every idle worker is promised a call that is about to arrive
            if call is None:  # shutdown
                return
            call.execute()
            # Idle before reporting: the coroutine that the report wakes may want a thread at once, and should get this
            # one rather than a new one. `execute` has closed the door on cancellation of `call`, so handing this
            # worker out now is safe (spec: pool/no-stray-cancel).
            with lock:
                self._idle += 1
            inbox.append((call, None))
            wakeup.set()
            del call

    def shutdown(self) -> None:
        """Stop every worker and wait until each thread has ended (spec: ``pool/workers-end``)."""
        with self._lock:
            live = self._live
        for _ in range(live):  # a worker that retires meanwhile leaves one stop signal unread: harmless
            self._calls.put(None)
        for thread in self._threads:
            thread.join()
        self._threads.clear()


def _in_thread(call: _ThreadCall) -> Generator[Any, Any, Any]:
    return (yield call)


def run_in_thread(fn: Callable[_P, _R], /, *args: _P.args, **kwargs: _P.kwargs) -> Generator[Any, Any, _R]:
    """A coroutine that runs ``fn(*args, **kwargs)`` in a worker thread and returns its result (spec: ``threads/run``).

    An exception raised by ``fn`` is raised at the coroutine's ``yield`` (``threads/error``). If the loop crashes while
    ``fn`` runs, :class:`tinyio.CancelledError` is raised inside the thread the next time it runs Python code, and
    :meth:`Loop.run` waits for the thread to end (``threads/cancel``, ``threads/joined``). Worker threads are reused
    within a run, so a call costs a hand-off rather than a new OS thread (``pool/reuse``); thread-local data set by
    one call may be seen by a later one.

    Example::

        def main():
            text = yield tinyio.run_in_thread(pathlib.Path("data.txt").read_text)
            return len(text)
    """
    if not callable(fn):
        raise TypeError(f"run_in_thread(fn, ...) needs a callable first argument, got {type(fn).__name__}")
    return _in_thread(_ThreadCall(fn, args, kwargs))


# ------------------------------------------------------------------------------------------------ the loop's side
def start_call(loop: Loop, gen: Generator[Any, Any, Any], call: _ThreadCall) -> None:
    """``gen`` yielded ``call`` (spec: ``threads/run``): hand it to this run's workers, started on first use."""
    loop._waiting_on[gen] = call
    loop._threads[call] = None
    workers = loop._workers
    if workers is None:
        workers = loop._workers = _Workers(loop._inbox, loop._wakeup)
    call.start(gen, workers)


def call_ended(loop: Loop, token: _ThreadCall) -> None:
    """A worker put ``token`` into the loop's inbox: resume its coroutine with the result, or raise the error there."""
    loop._threads.pop(token, None)
    gen: Any = token.gen
    if loop._waiting_on.get(gen) is token:
        del loop._waiting_on[gen]
        if not gen.gi_suspended:  # see Loop._note_closed
            loop._note_closed(gen)
        if token.ok:  # spec: threads/result
            loop._ready.append((gen, token.value))
        else:  # spec: threads/error — raised at the yield of the coroutine that awaits the call
            raise_at_waiter(loop, gen, token.value)
        token.value = None


def raise_at_waiter(loop: Loop, gen: Generator[Any, Any, Any], error: BaseException) -> None:
    """Raise a thread's error where ``run_in_thread(...)`` was yielded, so that the waiter may catch it.

    ``run_in_thread`` returns a one-line wrapper coroutine; awaited by exactly one coroutine, the wrapper steps aside
    and the error is raised at that coroutine's ``yield`` (spec: ``threads/error``). Deviation from 0.4.0, where the
    error escaped the wrapper and crashed the loop before any waiter could catch it. Gathered, shared or run as the
    main coroutine, the wrapper fails like any other coroutine.
    """
    waiter = loop._alive.get(gen)
    if gen.gi_code is _in_thread.__code__ and type(waiter) is types.GeneratorType:  # type: ignore[attr-defined]
        del loop._alive[gen]
        del loop._waiting_on[waiter]
        gen.close()
        loop._throw(waiter, error)
    else:
        loop._throw(gen, error)


def join_calls(loop: Loop) -> None:
    """Wait until every thread call of this run has ended (spec: ``threads/joined``)."""
    calls, inbox, wakeup = loop._threads, loop._inbox, loop._wakeup
    grace = loop._thread_grace
    last = time.monotonic()
    while calls:
        wakeup.wait(grace)
        wakeup.clear()
        while inbox:
            token, _ = inbox.popleft()
            if type(token) is _ThreadCall:
                calls.pop(token, None)
                if not token.ok and not isinstance(token.value, CancelledError):  # spec: threads/cleanup-error
                    loop._aftermath.append(token.value)
                token.value = None
        now = time.monotonic()
        if calls and now - last >= grace:  # spec: threads/cancel-repeat
            last = now
            for call in calls:
                name = call.name  # before cancel(): a thread that ends right after it forgets its function
                if call.cancel():
                    warnings.warn(
                        f"thread running {name} is still running {grace} s after "
                        "tinyio.CancelledError was raised in it; raising it again",
                        RuntimeWarning,
                        stacklevel=2,
                    )
