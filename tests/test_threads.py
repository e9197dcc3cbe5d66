"""Threads (spec/threads.rst): threads/*."""

from __future__ import annotations

import collections
import threading
from typing import Any

import pytest

import tinyio
from tinyio import _thread

spec = pytest.mark.spec


def fail_after(steps: int, error: BaseException):
    for _ in range(steps):
        yield
    raise error


@pytest.fixture
def thread_crashes(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Records exceptions that escape any thread (a thread dying of an unhandled error is always a bug here)."""
    seen: list[Any] = []
    monkeypatch.setattr(threading, "excepthook", lambda args: seen.append(args.exc_value))
    return seen


def spin_until_cancelled(started: threading.Event, trace: list[Any]) -> None:
    """Loops in Python code (so a CancelledError can land) until it gets one."""
    started.set()
    count = 0
    try:
        while True:
            count += 1
    except tinyio.CancelledError as cancelled:
        trace.append(("thread cancelled", cancelled))
        raise


@spec("threads/run", "threads/result")
def test_run_in_thread_runs_the_function_in_another_thread_and_returns_its_result() -> None:
    def work(a, b, *, c):
        return (a + b) * c, threading.get_ident()

    def main():
        return (yield tinyio.run_in_thread(work, 1, 2, c=10))

    result, ident = tinyio.Loop().run(main())
    assert result == 30 and ident != threading.get_ident()


@spec("threads/run", "threads/result")
def test_many_threads_each_return_to_their_own_waiter() -> None:
    def main():
        return (yield [tinyio.run_in_thread(lambda i=i: i * i) for i in range(20)])

    assert tinyio.Loop().run(main()) == [i * i for i in range(20)]


@spec("threads/error")
def test_an_error_in_the_thread_is_raised_at_the_waiters_yield_and_may_be_caught() -> None:
    error = LookupError("from the thread")

    def work():
        raise error

    def main():
        try:
            yield tinyio.run_in_thread(work)
        except LookupError as caught:
            assert caught is error
            return "caught"

    assert tinyio.Loop().run(main()) == "caught"


@spec("threads/error")
def test_an_error_in_a_thread_call_delegated_to_with_yield_from_may_be_caught() -> None:
    def work():
        raise LookupError("from the thread")

    def main():
        try:
            yield from tinyio.run_in_thread(work)
        except LookupError:
            return "caught"

    assert tinyio.Loop().run(main()) == "caught"


@spec("threads/error", "errors/crash")
def test_an_error_in_a_gathered_thread_call_crashes_the_loop() -> None:
    def work():
        raise LookupError("from the thread")

    def main():
        try:
            yield [tinyio.run_in_thread(work), tinyio.run_in_thread(lambda: 1)]
        except LookupError:  # pragma: no cover - must not happen: a gathered child's error is not the waiter's
            return "caught"

    with pytest.raises(LookupError, match="from the thread"):
        tinyio.Loop().run(main())


@spec("threads/error", "errors/crash")
def test_an_uncaught_error_in_the_thread_crashes_the_loop() -> None:
    def work():
        raise LookupError("from the thread")

    def main():
        yield tinyio.run_in_thread(work)

    with pytest.raises(LookupError, match="from the thread"):
        tinyio.Loop().run(main())


@spec("threads/cancel", "threads/joined", "inv/threads-ended")
def test_a_crash_raises_cancelled_error_inside_a_thread_running_python(thread_crashes: list[Any]) -> None:
    started = threading.Event()
    trace: list[Any] = []

    def waiter():
        try:
            yield tinyio.run_in_thread(spin_until_cancelled, started, trace)
        except tinyio.CancelledError:
            trace.append("waiter cancelled")
            raise

    def crasher():
        yield tinyio.run_in_thread(started.wait)
        raise ValueError("crash")

    def main():
        yield [waiter(), crasher()]

    before = set(threading.enumerate())
    with pytest.raises(ValueError, match="crash"):
        tinyio.Loop().run(main())
    # the thread was cancelled and has ended by the time run raised
    assert [entry[0] if isinstance(entry, tuple) else entry for entry in trace] == [
        "waiter cancelled", "thread cancelled",
    ] or [entry[0] if isinstance(entry, tuple) else entry for entry in trace] == [
        "thread cancelled", "waiter cancelled",
    ]  # fmt: skip
    assert type(trace[[isinstance(e, tuple) for e in trace].index(True)][1]) is tinyio.CancelledError
    assert not [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert thread_crashes == []


def run_call_in_a_worker(call: Any) -> collections.deque[Any]:
    """Hand ``call`` to a worker of its own and wait for its report; returns the inbox."""
    inbox: collections.deque[Any] = collections.deque()
    wakeup = threading.Event()
    workers = _thread._Workers(inbox, wakeup)

    def gen():
        yield

    call.start(gen(), workers)
    try:
        assert wakeup.wait(10)
    finally:
        workers.shutdown()
    return inbox


@spec("threads/cancel")
@pytest.mark.internals
def test_a_thread_cancelled_before_it_began_never_calls_the_function() -> None:
    called: list[int] = []
    call = _thread._ThreadCall(lambda: called.append(1), (), {})
    assert call.cancel() is True  # pending: not yet started
    inbox = run_call_in_a_worker(call)
    assert called == []
    assert list(inbox) == [(call, None)]
    assert call.ok is False and type(call.value) is tinyio.CancelledError


@spec("threads/no-late-cancel")
@pytest.mark.internals
def test_cancel_after_the_function_finished_delivers_nothing() -> None:
    call = _thread._ThreadCall(lambda: "done", (), {})
    inbox = run_call_in_a_worker(call)
    assert list(inbox) == [(call, None)]
    assert call.cancel() is False
    assert call.ok is True and call.value == "done"


@spec("threads/no-late-cancel")
def test_threads_finishing_as_the_loop_crashes_never_die_of_a_late_cancellation(thread_crashes: list[Any]) -> None:
    # Race a thread's return against a crash many times: a CancelledError must never surface after fn returned
    # (it would kill the thread outside fn, or replace fn's outcome).
    for i in range(100):
        release = threading.Event()

        def quick(release=release):
            release.set()
            return "quick"

        def waiter(quick=quick):
            return (yield tinyio.run_in_thread(quick))

        def crasher(release=release):
            yield tinyio.run_in_thread(release.wait)
            raise ValueError(i)

        def main(waiter=waiter, crasher=crasher):
            yield [waiter(), crasher()]

        with pytest.raises(ValueError):
            tinyio.Loop().run(main())
    assert thread_crashes == []


@spec("threads/joined", "sched/run-until-all")
def test_run_waits_for_a_thread_started_by_a_background_coroutine() -> None:
    gate = threading.Event()
    trace: list[str] = []

    def slow():
        gate.wait()
        trace.append("thread done")

    def background():
        yield tinyio.run_in_thread(slow)

    def main():
        yield {background()}
        yield tinyio.run_in_thread(gate.set)
        trace.append("main done")

    tinyio.Loop().run(main())
    assert sorted(trace) == ["main done", "thread done"]


@spec("threads/joined", "inv/threads-ended")
def test_run_returns_only_after_a_cancelled_thread_has_cleaned_up() -> None:
    started = threading.Event()
    cleaned: list[str] = []

    def worker():
        started.set()
        try:
            while True:
                pass
        except tinyio.CancelledError:
            total = 0
            for i in range(100_000):  # some clean-up that takes a while
                total += i
            cleaned.append("cleaned up")
            raise

    def crasher():
        yield tinyio.run_in_thread(started.wait)
        raise ValueError

    def main():
        yield [tinyio.run_in_thread(worker), crasher()]

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    assert cleaned == ["cleaned up"]


@spec("threads/cancel-repeat")
def test_a_thread_that_ignores_cancellation_gets_it_again_with_a_warning(thread_crashes: list[Any]) -> None:
    started = threading.Event()
    hits: list[str] = []

    def stubborn_thread_function():
        started.set()
        while True:
            try:
                while True:
                    pass
            except tinyio.CancelledError:
                hits.append("cancelled")
                if len(hits) == 3:
                    raise

    def crasher():
        yield tinyio.run_in_thread(started.wait)
        raise ValueError("crash")

    def main():
        yield [tinyio.run_in_thread(stubborn_thread_function), crasher()]

    loop = tinyio.Loop()
    loop._thread_grace = 0.02
    with pytest.warns(RuntimeWarning, match="stubborn_thread_function") as record:
        with pytest.raises(ValueError, match="crash"):
            loop.run(main())
    assert hits == ["cancelled"] * 3
    assert len([w for w in record if "stubborn_thread_function" in str(w.message)]) >= 2
    assert thread_crashes == []


@spec("threads/cleanup-error", "errors/group")
def test_an_error_a_cancelled_thread_raises_is_grouped() -> None:
    started = threading.Event()
    trouble = OSError("thread clean-up failed")

    def worker():
        started.set()
        try:
            while True:
                pass
        except tinyio.CancelledError:
            raise trouble from None

    original = ValueError("crash")

    def crasher():
        yield tinyio.run_in_thread(started.wait)
        raise original

    def main():
        yield [tinyio.run_in_thread(worker), crasher()]

    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(main())
    assert list(info.value.exceptions) == [original, trouble]

    started.clear()
    with pytest.raises(ValueError) as alone:
        tinyio.Loop().run(main(), exception_group=False)
    assert alone.value is original


@spec("threads/bad-fn")
@pytest.mark.parametrize("fn", [None, 3, "print", object()])
def test_run_in_thread_with_a_non_callable_raises_type_error_at_call_time(fn: Any) -> None:
    with pytest.raises(TypeError, match="callable"):
        tinyio.run_in_thread(fn)



@spec("threads/error", "inv/reusable")
@pytest.mark.internals
def test_a_thread_the_os_refuses_to_start_raises_at_the_callers_yield(monkeypatch: pytest.MonkeyPatch) -> None:
    # When the OS cannot start another thread ("can't start new thread"), the error reaches the coroutine that asked,
    # where it can be caught; the function never runs, and the loop carries on and later starts threads again.
    called: list[str] = []
    start = threading.Thread.start

    def refuse(thread: threading.Thread) -> None:
        if thread.name == "tinyio worker":
            raise RuntimeError("can't start new thread")
        start(thread)

    def main():
        try:
            yield tinyio.run_in_thread(called.append, "refused call")
        except RuntimeError as error:
            outcome = str(error)
        monkeypatch.setattr(threading.Thread, "start", start)
        yield tinyio.run_in_thread(called.append, "later call")
        return outcome

    monkeypatch.setattr(threading.Thread, "start", refuse)
    loop = tinyio.Loop()
    assert loop.run(main()) == "can't start new thread"
    assert called == ["later call"]
    assert loop.run(tinyio.run_in_thread(lambda: "reusable")) == "reusable"


class _LateCancellingLock:
    """A call's lock whose ``nth`` acquisition first receives a real CancelledError, as if the loop's cancellation
    landed at that very bytecode: after the function has returned, while the worker marks the call done."""

    def __init__(self, call: Any, nth: int) -> None:
        self.real = threading.Lock()
        self.call = call
        self.nth = nth
        self.entries = 0

    def __enter__(self) -> None:
        self.entries += 1
        if self.entries == self.nth:
            self.call._cancelled = True  # what cancel() records before it delivers
            _thread._set_async_exc(threading.get_ident(), tinyio.CancelledError)
            for _ in range(100):  # it is raised at the first eval-breaker check
                pass
        self.real.acquire()

    def __exit__(self, *exc_info: object) -> None:
        self.real.release()


@spec("threads/no-late-cancel")
@pytest.mark.internals
def test_a_cancellation_landing_after_the_function_returned_is_absorbed(thread_crashes: list[Any]) -> None:
    # Entry 1 is _call marking the call running; entry 2 is execute marking it done, after fn has returned "done".
    def fn() -> str:
        return "done"

    call = _thread._ThreadCall(fn, (), {})
    lock = _LateCancellingLock(call, nth=2)
    call._lock = lock
    inbox = run_call_in_a_worker(call)
    assert list(inbox) == [(call, None)]
    assert (call.ok, call.value) == (True, "done")  # fn's outcome reaches the loop, not the late CancelledError
    assert lock.entries == 3  # the interrupted attempt to mark it done was repeated
    assert call.cancel() is False  # done: nothing more is delivered
    assert thread_crashes == []  # the worker went on serving, and stopped, without a stray CancelledError
