"""Reliability under faults, load and bad input (spec: reliability/*).

Signals are real ``SIGINT``s sent with ``os.kill`` from a helper thread once a gate opens: a gate that the program
under test opens at a chosen moment (a step, the loop blocking, a thread running, clean-up). Nothing here sleeps to
synchronise. ``TINYIO_DEEP=1`` multiplies the repetitions.
"""

from __future__ import annotations

import gc
import math
import os
import random
import signal
import threading
import tracemalloc
import warnings
import weakref
from collections.abc import Callable, Generator
from fractions import Fraction
from typing import Any

import pytest

import tinyio

DEEP = os.environ.get("TINYIO_DEEP") == "1"
SIGNAL_RUNS = 1000 if DEEP else 60  # per moment; five moments


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


class GateClock:
    """A real clock that opens ``gate`` each time the loop is about to block, and counts the blocks.

    It delegates to the loop's own real clock (a private class: the tests that use it are marked ``internals``).
    """

    def __init__(self, gate: threading.Event) -> None:
        from tinyio._clock import RealClock

        self.real = RealClock()
        self.gate = gate
        self.waits = 0

    def now(self) -> float:
        return self.real.now()

    def wait(self, wake: threading.Event, timeout: float | None, threads_running: int) -> None:
        self.waits += 1
        self.gate.set()
        self.real.wait(wake, timeout, threads_running)


def _interrupt_when(gate: threading.Event) -> threading.Thread:
    def send() -> None:
        gate.wait()
        os.kill(os.getpid(), signal.SIGINT)

    thread = threading.Thread(target=send, daemon=True)
    thread.start()
    return thread


class Program:
    """Coroutines that never finish on their own, recording how each one ended."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.cancelled: list[str] = []
        self.other: list[str] = []
        self.stuck = tinyio.Event()

    def spinner(self, name: str, gate: threading.Event | None = None, at_step: int = -1) -> tinyio.Coro[None]:
        self.started.append(name)
        step = 0
        try:
            while True:
                if step == at_step and gate is not None:
                    gate.set()
                step += 1
                yield
        except tinyio.CancelledError:
            self.cancelled.append(name)
            raise

    def waiter(self, name: str) -> tinyio.Coro[None]:
        self.started.append(name)
        try:
            yield self.stuck.wait()
        except tinyio.CancelledError:
            self.cancelled.append(name)
            raise

    def sleeper(self, name: str) -> tinyio.Coro[None]:
        self.started.append(name)
        try:
            yield tinyio.sleep(1000)
        except tinyio.CancelledError:
            self.cancelled.append(name)
            raise

    def in_thread(self, name: str, gate: threading.Event) -> tinyio.Coro[None]:
        self.started.append(name)

        def cooperative() -> None:
            gate.set()
            while True:  # Python code: the cancellation lands at the next bytecode
                threading.Event().wait(0.001)

        try:
            yield tinyio.run_in_thread(cooperative)
        except tinyio.CancelledError:
            self.cancelled.append(name)
            raise

    def slow_cleanup(self, name: str, gate: threading.Event) -> tinyio.Coro[None]:
        self.started.append(name)
        try:
            yield self.stuck.wait()
        except tinyio.CancelledError:
            self.cancelled.append(name)
            gate.set()  # the second signal arrives while this clean-up runs
            total = 0
            for i in range(200_000):
                total += i
            raise


def _assert_cleaned(program: Program, threads_before: int, fds_before: int) -> None:
    assert sorted(program.cancelled) == sorted(set(program.cancelled)), "a coroutine was cancelled twice"
    assert set(program.cancelled) <= set(program.started)
    assert threading.active_count() <= threads_before + 1  # the signalling thread may still be unwinding
    assert _open_fds() == fds_before


MOMENTS = ["stepping", "blocked-no-timer", "blocked-on-timer", "threads-running"]


@pytest.mark.internals
@pytest.mark.spec("reliability/interrupt-anytime", "errors/interrupt")
@pytest.mark.parametrize("moment", MOMENTS)
def test_sigint_at_random_moments(moment: str) -> None:
    rng = random.Random(moment)
    fds_before = _open_fds()
    for _ in range(SIGNAL_RUNS):
        threads_before = threading.active_count()
        gate = threading.Event()
        program = Program()
        clock = GateClock(threading.Event()) if moment == "stepping" else GateClock(gate)
        if moment == "stepping":
            coros = [program.spinner(f"s{i}", gate, rng.randrange(50)) for i in range(3)]
        elif moment == "blocked-no-timer":
            coros = [program.waiter(f"w{i}") for i in range(3)]
        elif moment == "blocked-on-timer":
            coros = [program.sleeper(f"z{i}") for i in range(3)]
        else:
            thread_gate = threading.Event()
            gate = thread_gate
            coros = [program.in_thread("t0", thread_gate), program.waiter("w0")]
        sender = _interrupt_when(gate)

        def main() -> tinyio.Coro[None]:
            yield list(coros)

        loop = tinyio.Loop(clock=clock)
        with pytest.raises(KeyboardInterrupt):
            loop.run(main(), exception_group=False)
        sender.join()
        # every coroutine that ran got exactly one CancelledError -- except, when stepping, the one the signal landed
        # in: KeyboardInterrupt was raised inside it, so it is the origin of the crash
        missing = set(program.started) - set(program.cancelled)
        assert len(missing) <= (1 if moment == "stepping" else 0), missing
        _assert_cleaned(program, threads_before, fds_before)
        assert loop.run(tinyio.sleep(0)) is None  # reusable


@pytest.mark.internals
@pytest.mark.spec("reliability/interrupt-anytime", "reliability/second-interrupt")
def test_sigint_during_cleanup() -> None:
    fds_before = _open_fds()
    for _ in range(SIGNAL_RUNS // 3):
        threads_before = threading.active_count()
        first, second = threading.Event(), threading.Event()
        program = Program()
        senders = [_interrupt_when(first), _interrupt_when(second)]

        def main() -> tinyio.Coro[None]:
            yield [program.slow_cleanup("c0", second), program.waiter("w0"), program.slow_cleanup("c1", second)]

        loop = tinyio.Loop(clock=GateClock(first))
        with pytest.raises(KeyboardInterrupt):
            loop.run(main(), exception_group=False)
        for sender in senders:
            sender.join()
        assert sorted(program.cancelled) == ["c0", "c1", "w0"]
        _assert_cleaned(program, threads_before, fds_before)
        assert loop.run(tinyio.sleep(0)) is None


@pytest.mark.internals
@pytest.mark.spec("reliability/interrupt-anytime")
def test_blocked_loop_does_not_spin_with_many_fds_open() -> None:
    """With over 1,024 descriptors open the blocked loop still blocks once, and wakes for the signal."""
    pipes = [os.pipe() for _ in range(600)]
    try:
        assert _open_fds() > 1024
        gate = threading.Event()
        clock = GateClock(gate)
        program = Program()
        sender = _interrupt_when(gate)
        with pytest.raises(KeyboardInterrupt):
            tinyio.Loop(clock=clock).run(program.waiter("w"), exception_group=False)
        sender.join()
        assert clock.waits == 1  # it blocked once (no spinning), and the signal woke it
        assert program.cancelled == ["w"]
    finally:
        for r, w in pipes:
            os.close(r)
            os.close(w)


# ------------------------------------------------------------------------------------------------ misbehaving threads
@pytest.mark.spec("threads/cancel-repeat", "reliability/interrupt-anytime")
def test_thread_that_swallows_cancellation_is_cancelled_again() -> None:
    started = threading.Event()
    swallowed: list[bool] = []

    def stubborn() -> None:
        started.set()
        try:
            while True:
                threading.Event().wait(0.001)
        except tinyio.CancelledError:
            swallowed.append(True)
        while True:  # keeps running Python code: the next delivery ends it
            threading.Event().wait(0.001)

    def fail_once_started() -> tinyio.Coro[None]:
        yield tinyio.run_in_thread(started.wait)
        raise ValueError("boom")

    def main() -> tinyio.Coro[None]:
        yield [tinyio.run_in_thread(stubborn), fail_once_started()]

    loop = tinyio.Loop()
    loop._thread_grace = 0.02
    before = threading.active_count()
    with pytest.warns(RuntimeWarning, match="stubborn"), pytest.raises(ValueError, match="boom"):
        loop.run(main(), exception_group=False)
    assert swallowed == [True]
    assert threading.active_count() == before


@pytest.mark.spec("threads/cancel", "threads/joined")
def test_thread_blocked_in_c_code_is_waited_for_and_cancelled_on_return() -> None:
    """A thread blocked in C sees the cancellation when it returns to Python; the loop waits for that."""
    release = threading.Event()
    after_release: list[bool] = []
    cleanup_started = threading.Event()

    def blocked_in_c() -> None:
        release.wait()  # C code: the CancelledError stays pending until this returns
        after_release.append(True)

    def fail() -> tinyio.Coro[None]:
        yield
        raise ValueError("boom")

    def watcher() -> tinyio.Coro[None]:
        try:
            yield tinyio.run_in_thread(blocked_in_c)
        except tinyio.CancelledError:
            cleanup_started.set()
            raise

    opener = threading.Thread(target=lambda: cleanup_started.wait() and release.set())
    opener.start()
    before = threading.active_count()
    with pytest.raises(ValueError, match="boom"):
        tinyio.Loop().run(_gather(watcher(), fail()), exception_group=False)
    opener.join()
    assert after_release == []  # the pending CancelledError fired as soon as the thread returned to Python
    assert threading.active_count() <= before


@pytest.mark.spec("threads/cleanup-error", "cancel/other-error")
def test_thread_raising_during_cleanup_is_reported() -> None:
    started = threading.Event()

    def fragile() -> None:
        started.set()
        try:
            while True:
                threading.Event().wait(0.001)
        except tinyio.CancelledError:
            raise OSError("clean-up failed") from None

    def fail() -> tinyio.Coro[None]:
        yield tinyio.run_in_thread(started.wait)
        raise ValueError("boom")

    with pytest.raises(BaseExceptionGroup) as info:
        tinyio.Loop().run(_gather(tinyio.run_in_thread(fragile), fail()))
    kinds = [type(e) for e in info.value.exceptions]
    assert kinds[0] is ValueError and OSError in kinds


@pytest.mark.internals
@pytest.mark.spec("reliability/undelivered", "errors/group")
def test_two_threads_failing_at_once_are_both_reported() -> None:
    """Both errors reach the loop's inbox before it looks: one crashes the loop, the other must not be lost."""
    for _ in range(20):
        gate = threading.Event()
        loop = tinyio.Loop()

        def fail(message: str) -> None:
            gate.wait()
            raise ValueError(message)

        def opener() -> tinyio.Coro[None]:
            yield
            gate.set()
            while len(loop._inbox) < 2:  # hold the loop (deliberately) until both threads have reported
                threading.Event().wait(0.001)

        with pytest.raises(BaseExceptionGroup) as info:
            loop.run(_gather(tinyio.run_in_thread(fail, "a"), tinyio.run_in_thread(fail, "b"), opener()))
        assert sorted(str(e) for e in info.value.exceptions) == ["a", "b"]


def _gather(*coros: tinyio.Coro[Any]) -> tinyio.Coro[list[Any]]:
    return (yield list(coros))  # type: ignore[no-any-return]


# --------------------------------------------------------------------------------------------- misbehaving coroutines
@pytest.mark.spec("reliability/closed-outside")
@pytest.mark.parametrize("waits_on", ["event", "child", "gather", "thread"])
def test_coroutine_closed_from_outside_crashes_naming_it(waits_on: str) -> None:
    event = tinyio.Event()
    gate = threading.Event()

    def child() -> tinyio.Coro[int]:
        yield event.wait()
        return 1

    def victim() -> tinyio.Coro[Any]:
        if waits_on == "event":
            yield event.wait()
        elif waits_on == "child":
            yield child()
        elif waits_on == "gather":
            yield [child(), child()]
        else:
            yield tinyio.run_in_thread(gate.wait)

    def closer(v: tinyio.Coro[Any]) -> tinyio.Coro[None]:
        yield
        yield
        v.close()
        event.set()
        gate.set()

    def main() -> tinyio.Coro[None]:
        v = victim()
        yield [v, closer(v)]

    loop = tinyio.Loop()
    with pytest.raises(RuntimeError, match=r"victim .* closed from outside"):
        loop.run(main(), exception_group=False)
    assert loop.run(tinyio.sleep(0)) is None


# ---------------------------------------------------------------------------------------------- bad input catalogue
def _yielding(value: Any) -> Callable[[], tinyio.Coro[Any]]:
    def main() -> tinyio.Coro[Any]:
        return (yield value)

    return main


def _started() -> tinyio.Coro[None]:
    def gen() -> tinyio.Coro[None]:
        yield
        yield

    g = gen()
    next(g)
    return g


def _finished() -> tinyio.Coro[None]:
    def gen() -> tinyio.Coro[None]:
        return
        yield

    g = gen()
    for _ in g:
        pass
    return g


async def _async_def() -> None:
    pass


def _noop() -> tinyio.Coro[None]:
    yield


def _self_await() -> tinyio.Coro[None]:
    me: list[Any] = []

    def gen() -> tinyio.Coro[None]:
        yield me[0]

    g = gen()
    me.append(g)
    return g


def _two_cycle() -> tinyio.Coro[None]:
    box: dict[str, Any] = {}

    def a() -> tinyio.Coro[None]:
        yield box["b"]

    def b() -> tinyio.Coro[None]:
        yield
        yield box["a"]

    box["a"], box["b"] = a(), b()

    def main() -> tinyio.Coro[None]:
        yield [box["a"], box["b"]]

    return main()


def _other_loop() -> tinyio.Coro[None]:
    inner_coro: list[Any] = []

    def shared() -> tinyio.Coro[None]:
        yield tinyio.sleep(0)

    def outer() -> tinyio.Coro[None]:
        s = shared()
        inner_coro.append(s)
        yield {s}
        yield
        # while the outer loop runs `s`, an inner loop is asked to await it
        tinyio.Loop().run(_yielding(s)())

    return outer()


def _reentrant() -> tinyio.Coro[None]:
    loop = tinyio.Loop()

    def inner() -> tinyio.Coro[None]:
        loop.run(_noop())
        yield

    def runner() -> tinyio.Coro[None]:
        yield inner()

    # run `runner` on `loop` itself: the inner loop.run is re-entrant
    def main() -> tinyio.Coro[None]:
        loop.run(runner())
        yield

    return main()


def _from_other_thread() -> tinyio.Coro[None]:
    loop = tinyio.Loop()
    errors: list[BaseException] = []

    def other_thread() -> None:
        try:
            loop.run(_noop())
        except BaseException as e:
            errors.append(e)

    def main() -> tinyio.Coro[None]:
        yield tinyio.run_in_thread(other_thread)
        raise errors[0]

    def outer() -> tinyio.Coro[None]:
        loop.run(main())
        yield

    return outer()


def _genexpr() -> tinyio.Coro[Any]:
    def main() -> tinyio.Coro[Any]:
        return (yield (_noop() for _ in range(3)))

    return main()


# (id, what to run: a callable raising at call time, or a coroutine for Loop.run; expected type; words naming the fix)
CATALOGUE: list[tuple[str, Callable[[], Any], type[BaseException], str]] = [
    ("run-int", lambda: 42, TypeError, "generator"),
    ("run-function", lambda: _noop, TypeError, "call it"),
    ("run-async-def", lambda: _async_def(), TypeError, "from_asyncio"),
    ("run-started", _started, RuntimeError, "already started"),
    ("run-finished", _finished, RuntimeError, "already finished"),
    ("run-list", lambda: [_noop()], TypeError, "generator"),
    ("run-genexpr", lambda: (_ for _ in ()), TypeError, "yield a list"),
    ("yield-tuple", lambda: _yielding((_noop(), _noop()))(), TypeError, "yield a list"),
    ("yield-int", lambda: _yielding(1)(), TypeError, "may yield only"),
    ("yield-str", lambda: _yielding("x")(), TypeError, "may yield only"),
    ("yield-dict", lambda: _yielding({"a": _noop()})(), TypeError, "may yield only"),
    ("yield-async-def", lambda: _yielding(_async_def())(), TypeError, "from_asyncio"),
    ("yield-list-of-int", lambda: _yielding([_noop(), 1])(), TypeError, "element 1"),
    ("yield-set-of-int", lambda: _yielding({1})(), TypeError, "an element"),
    ("yield-list-async-def", lambda: _yielding([_async_def()])(), TypeError, "from_asyncio"),
    ("yield-started", lambda: _yielding(_started())(), RuntimeError, "already started"),
    ("yield-finished", lambda: _yielding(_finished())(), RuntimeError, "already finished"),
    ("yield-genexpr", _genexpr, TypeError, "yield a list"),
    ("await-itself", _self_await, RuntimeError, "awaits itself"),
    ("cycle-of-two", _two_cycle, RuntimeError, "cycle of waiters"),
    ("other-loop", _other_loop, RuntimeError, "another running Loop"),
    ("reentrant-run", _reentrant, RuntimeError, "already running"),
    ("run-from-other-thread", _from_other_thread, RuntimeError, "already running"),
    ("sleep-nan", lambda: tinyio.sleep(math.nan), ValueError, "inf"),
    ("sleep-str", lambda: tinyio.sleep("1"), TypeError, "number of seconds"),  # type: ignore[arg-type]
    ("sleep-bool", lambda: tinyio.sleep(True), TypeError, "bool"),
    ("sleep-none", lambda: tinyio.sleep(None), TypeError, "number of seconds"),  # type: ignore[arg-type]
    ("wait-nan", lambda: tinyio.Event().wait(math.nan), ValueError, "inf"),
    ("wait-str", lambda: tinyio.Event().wait("soon"), TypeError, "number of seconds"),  # type: ignore[arg-type]
    ("event-bool", lambda: bool(tinyio.Event()), TypeError, "is_set()"),
    ("run-in-thread-not-callable", lambda: tinyio.run_in_thread(42), TypeError, "callable"),  # type: ignore[call-overload]
    ("loop-bad-clock", lambda: tinyio.Loop(clock=42), TypeError, "now()"),  # type: ignore[arg-type]
    # the batteries
    ("semaphore-zero", lambda: tinyio.Semaphore(0), ValueError, "positive int"),
    ("semaphore-float", lambda: tinyio.Semaphore(1.5), TypeError, "positive int"),  # type: ignore[arg-type]
    ("semaphore-bool", lambda: tinyio.Semaphore(True), TypeError, "pass 1"),
    ("barrier-zero", lambda: tinyio.Barrier(0), ValueError, "positive int"),
    ("pool-zero", lambda: tinyio.ThreadPool(0), ValueError, "positive int"),
    ("pool-str", lambda: tinyio.ThreadPool("8"), TypeError, "positive int"),  # type: ignore[arg-type]
    ("pool-fn-not-callable", lambda: tinyio.ThreadPool(2).run_in_thread(42), TypeError, "callable"),  # type: ignore[call-overload]
    ("pool-map-not-callable", lambda: tinyio.ThreadPool(2).map(42, [1]), TypeError, "callable"),  # type: ignore[arg-type]
    ("timeout-nan", lambda: tinyio.timeout(_noop(), math.nan), ValueError, "math.inf"),
    ("timeout-not-coroutine", lambda: tinyio.timeout(42, 1), TypeError, "generator"),  # type: ignore[arg-type]
    ("isolate-not-coroutine", lambda: tinyio.isolate(42), TypeError, "generator"),  # type: ignore[arg-type]
    ("copy-not-coroutine", lambda: tinyio.copy(42), TypeError, "generator"),  # type: ignore[arg-type]
    ("as-completed-int", lambda: tinyio.as_completed(42), TypeError, "e.g. a set"),  # type: ignore[arg-type]
    ("as-completed-element", lambda: tinyio.as_completed({1}), TypeError, "not a coroutine"),  # type: ignore[arg-type]
    ("executor-not-executor", lambda: tinyio.run_in_executor(42, print), TypeError, "submit"),  # type: ignore[arg-type]
    ("from-asyncio-not-coroutine", lambda: tinyio.from_asyncio(42), TypeError, "async def"),  # type: ignore[arg-type]
    ("to-asyncio-not-coroutine", lambda: tinyio.to_asyncio(42), TypeError, "generator"),  # type: ignore[arg-type]
]


@pytest.mark.spec("reliability/bad-input", "misuse/run-argument", "misuse/yield", "misuse/tuple", "misuse/async-def",
                  "misuse/element", "misuse/started-elsewhere", "misuse/other-loop", "misuse/cycle",
                  "misuse/reentrant", "misuse/at-yield", "time/durations", "event/no-bool", "threads/bad-fn")
@pytest.mark.parametrize(("case", "make", "kind", "fix"), CATALOGUE, ids=[c[0] for c in CATALOGUE])
def test_bad_input_catalogue(case: str, make: Callable[[], Any], kind: type[BaseException], fix: str) -> None:
    assert len(CATALOGUE) >= 25
    loop = tinyio.Loop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" and no other noise
        with pytest.raises(kind) as info:
            made = make()
            loop.run(made, exception_group=False)
    assert fix in str(info.value), str(info.value)
    assert not isinstance(info.value, AssertionError)
    assert loop.run(_yielding([tinyio.sleep(0), _noop()])()) == [None, None]  # the same loop is usable


# ---------------------------------------------------------------------------------------------------- load and soak
@pytest.mark.spec("reliability/soak", "gather/scale")
def test_gather_of_a_million_has_bounded_memory() -> None:
    """A million completes; memory per gathered coroutine (measured at 20,000 under tracemalloc) is bounded."""

    def leaf(i: int) -> tinyio.Coro[int]:
        return i
        yield

    def main(n: int) -> tinyio.Coro[int]:
        return sum((yield [leaf(i) for i in range(n)]))

    n = 1_000_000
    assert tinyio.Loop().run(main(n)) == n * (n - 1) // 2
    n = 1_000_000 if DEEP else 20_000
    tracemalloc.start()
    try:
        assert tinyio.Loop().run(main(n)) == n * (n - 1) // 2
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak / n < 1200, f"{peak / n:.0f} bytes per coroutine at the peak"


@pytest.mark.spec("reliability/soak", "sched/reuse", "inv/reusable")
def test_many_runs_leave_nothing_behind() -> None:
    runs = 100_000 if DEEP else 10_000

    def ok() -> tinyio.Coro[int]:
        yield
        return 1

    def crash() -> tinyio.Coro[None]:
        yield
        raise ValueError

    loop = tinyio.Loop()
    for _ in range(1000):  # warm up caches and free lists
        loop.run(ok())
    threads, fds = threading.active_count(), _open_fds()
    tracemalloc.start()
    try:
        for i in range(runs):
            if i % 10:
                assert loop.run(ok()) == 1
            else:
                with pytest.raises(ValueError):
                    tinyio.Loop().run(crash())
            if i == runs // 2:
                middle = tracemalloc.get_traced_memory()[0]
        end = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert threading.active_count() == threads
    assert _open_fds() == fds
    assert end - middle < 64 * 1024, f"memory grew by {end - middle} bytes over {runs // 2} runs"


@pytest.mark.spec("reliability/soak", "threads/joined")
def test_many_runs_with_threads_leave_no_threads() -> None:
    runs = 10_000 if DEEP else 1_000

    def main() -> tinyio.Coro[int]:
        return (yield tinyio.run_in_thread(lambda: 1))  # type: ignore[no-any-return]

    threads, fds = threading.active_count(), _open_fds()
    loop = tinyio.Loop()
    for _ in range(runs):
        assert loop.run(main()) == 1
    assert threading.active_count() <= threads + 1  # at most the last worker, still unwinding after posting
    assert _open_fds() == fds


@pytest.mark.spec("reliability/soak", "inv/no-stale-waits", "event/timeout")
def test_event_outliving_cancelled_waits_holds_no_references() -> None:
    event = tinyio.Event()
    refs: list[weakref.ref[Any]] = []

    def waiter() -> tinyio.Coro[None]:
        yield event.wait()

    def timed() -> tinyio.Coro[bool]:
        return (yield event.wait(0.0001))  # type: ignore[no-any-return]

    def crash(w: tinyio.Coro[None]) -> tinyio.Coro[None]:
        refs.append(weakref.ref(w))
        yield
        raise ValueError

    for _ in range(500):
        w = waiter()
        with pytest.raises(ValueError):
            tinyio.Loop().run(_gather(w, crash(w)))
        del w
        assert tinyio.Loop().run(timed()) is False
    assert "0 waiting" in repr(event)
    gc.collect()
    assert all(ref() is None for ref in refs)


# ------------------------------------------------------------------------------------------------------------ garbage
@pytest.mark.spec("reliability/no-cycles")
@pytest.mark.parametrize("outcome", ["returns", "raises", "cancelled-thread"])
def test_finished_run_leaves_no_cycles(outcome: str) -> None:
    refs: list[weakref.ref[Any]] = []

    def track(gen: tinyio.Coro[Any]) -> tinyio.Coro[Any]:
        refs.append(weakref.ref(gen))
        return gen

    def leaf() -> tinyio.Coro[int]:
        yield tinyio.sleep(0)
        if outcome == "raises":
            raise ValueError("boom")
        return 1

    def middle() -> tinyio.Coro[int]:
        return (yield track(leaf()))  # type: ignore[no-any-return]

    def main() -> tinyio.Coro[Any]:
        coros = [track(middle()), track(middle())]
        if outcome == "cancelled-thread":
            coros.append(track(tinyio.run_in_thread(threading.Event().wait, 0.01)))
            coros.append(track(_raise_soon()))
        return (yield coros)

    gc.collect()
    gc.disable()
    try:
        try:
            tinyio.Loop().run(track(main()))
        except (ValueError, BaseExceptionGroup) as error:
            assert error.__traceback__ is not None
            del error
        alive = [ref for ref in refs if ref() is not None]
        assert not alive, f"{len(alive)} coroutines kept alive by reference cycles"
    finally:
        gc.enable()


def _raise_soon() -> tinyio.Coro[None]:
    yield
    yield
    raise ValueError("boom")


@pytest.mark.spec("time/durations")
def test_duration_kinds_accepted() -> None:
    def main() -> tinyio.Coro[list[Any]]:
        return (yield [tinyio.sleep(Fraction(1, 1000)), tinyio.sleep(-5), tinyio.sleep(0)])  # type: ignore[no-any-return]

    assert tinyio.Loop().run(main()) == [None, None, None]
