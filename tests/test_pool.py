"""Worker reuse, tinyio.ThreadPool (spec/pool.rst).

Threads are synchronised with gates (threading.Event) that the test opens; nothing waits on wall-clock time.
"""

from __future__ import annotations

import collections
import re
import textwrap
import threading
from collections.abc import Callable
from typing import Any

import pytest

import tinyio
from tinyio._thread import _ThreadCall, _Workers

GATE_TIMEOUT = 10.0  # only a safety net against a hang: a correct implementation never comes near it


def wait(event: threading.Event) -> None:
    assert event.wait(GATE_TIMEOUT), "gate never opened"


def _docstring_example(obj: object) -> str:
    match = re.search(r"Example::\n\n((?:[ \t]+.*\n|\n)+)", (obj.__doc__ or "") + "\n")
    assert match, f"{obj} has no example"
    return textwrap.dedent(match.group(1))


@pytest.mark.spec("pool/max-threads", "pool/like-run-in-thread", "pool/map")
@pytest.mark.parametrize("obj", [tinyio.ThreadPool, tinyio.ThreadPool.run_in_thread, tinyio.ThreadPool.map])
def test_docstring_examples_run(obj: object) -> None:
    code = _docstring_example(obj)
    if "assert" not in code:
        code += "\nassert tinyio.Loop().run(main()) is not None\n"
    exec(compile(code, f"<docstring of {obj}>", "exec"), {})


# ------------------------------------------------------------------------------------------------- pool/reuse
@pytest.mark.spec("pool/reuse")
def test_sequential_calls_share_one_worker() -> None:
    def main() -> tinyio.Coro[list[threading.Thread]]:
        seen = []
        for _ in range(30):
            seen.append((yield tinyio.run_in_thread(threading.current_thread)))
        return seen

    seen = tinyio.Loop().run(main())
    assert len(set(seen)) == 1
    assert seen[0] is not threading.main_thread()


@pytest.mark.spec("pool/reuse")
def test_concurrent_calls_get_their_own_workers_and_later_calls_reuse_them() -> None:
    gate = threading.Event()
    arrived = threading.Barrier(4)  # all four run at once: plain run_in_thread is not bounded

    def blocked() -> threading.Thread:
        arrived.wait(GATE_TIMEOUT)
        wait(gate)
        return threading.current_thread()

    def main() -> tinyio.Coro[tuple[set[threading.Thread], set[threading.Thread]]]:
        calls = [tinyio.run_in_thread(blocked) for _ in range(4)]
        yield set(calls)
        gate.set()
        first = set((yield calls))
        later = set((yield [tinyio.run_in_thread(threading.current_thread) for _ in range(4)]))
        for _ in range(10):
            later.add((yield tinyio.run_in_thread(threading.current_thread)))
        return first, later

    first, later = tinyio.Loop().run(main())
    assert len(first) == 4
    assert later <= first  # no new thread was needed


@pytest.mark.spec("pool/reuse")
def test_pool_calls_and_plain_calls_share_the_workers() -> None:
    pool = tinyio.ThreadPool(2)

    def main() -> tinyio.Coro[set[threading.Thread]]:
        seen = set()
        for _ in range(5):
            seen.add((yield tinyio.run_in_thread(threading.current_thread)))
            seen.add((yield pool.run_in_thread(threading.current_thread)))
        seen.update((yield pool.map(lambda _: threading.current_thread(), [1])))
        return seen

    assert len(tinyio.Loop().run(main())) == 1


@pytest.mark.spec("pool/reuse")
def test_thread_locals_may_persist_between_calls_of_a_run() -> None:
    local = threading.local()

    def put() -> None:
        local.value = "left behind"

    def get() -> Any:
        return getattr(local, "value", None)

    def main() -> tinyio.Coro[Any]:
        yield tinyio.run_in_thread(put)
        return (yield tinyio.run_in_thread(get))

    # Allowed either way by the rule; with one call at a time this implementation reuses the worker.
    assert tinyio.Loop().run(main()) == "left behind"


@pytest.mark.spec("pool/reuse")
def test_a_context_variable_set_by_one_call_is_not_seen_by_the_next() -> None:
    import contextvars

    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="unset")
    var.set("loop thread")  # the loop thread's context is not the calls' either

    def put() -> threading.Thread:
        var.set("left behind")
        return threading.current_thread()

    def get() -> tuple[str, threading.Thread]:
        return var.get(), threading.current_thread()

    def main() -> tinyio.Coro[tuple[threading.Thread, tuple[str, threading.Thread]]]:
        first = yield tinyio.run_in_thread(put)
        return first, (yield tinyio.run_in_thread(get))

    first, (seen, second) = tinyio.Loop().run(main())
    assert second is first  # the same worker...
    assert seen == "unset"  # ...but a fresh context


# ---------------------------------------------------------------------------------------- pool/no-stray-cancel
def _drain(inbox: collections.deque[Any], wakeup: threading.Event, count: int) -> list[_ThreadCall]:
    done: list[_ThreadCall] = []
    while len(done) < count:
        wait(wakeup)
        wakeup.clear()
        while inbox:
            done.append(inbox.popleft()[0])
    return done


def _python_work() -> int:
    total = 0
    for i in range(2000):  # bytecode, so a pending async exception would be raised here
        total += i
    return total


@pytest.mark.spec("pool/no-stray-cancel")
def test_cancel_after_the_function_returned_never_reaches_the_next_call() -> None:
    inbox: collections.deque[Any] = collections.deque()
    wakeup = threading.Event()
    workers = _Workers(inbox, wakeup)
    try:
        first = _ThreadCall(threading.current_thread, (), {})
        first.start(None, workers)  # type: ignore[arg-type]
        _drain(inbox, wakeup, 1)
        assert first.ok
        assert first.cancel() is False  # done: the door is closed
        second = _ThreadCall(lambda: (_python_work(), threading.current_thread()), (), {})
        second.start(None, workers)  # type: ignore[arg-type]
        _drain(inbox, wakeup, 1)
        assert second.ok, second.value
        assert second.value[1] is first.value  # same worker, and it saw no CancelledError
    finally:
        workers.shutdown()


@pytest.mark.spec("pool/no-stray-cancel", "pool/reuse")
def test_racing_cancellations_never_leak_into_the_next_call_on_the_worker() -> None:
    # Cancel each call at about the moment it finishes: sometimes before, sometimes during, sometimes after. Whatever
    # the interleaving, the next call on the same worker must not see a CancelledError meant for its predecessor.
    inbox: collections.deque[Any] = collections.deque()
    wakeup = threading.Event()
    workers = _Workers(inbox, wakeup)
    try:
        for _ in range(300):
            racer = _ThreadCall(_python_work, (), {})
            racer.start(None, workers)  # type: ignore[arg-type]
            racer.cancel()
            _drain(inbox, wakeup, 1)
            assert racer.ok or isinstance(racer.value, tinyio.CancelledError)
            follower = _ThreadCall(_python_work, (), {})
            follower.start(None, workers)  # type: ignore[arg-type]
            _drain(inbox, wakeup, 1)
            assert follower.ok, f"a stray cancellation reached the next call: {follower.value!r}"
    finally:
        workers.shutdown()


@pytest.mark.spec("pool/no-stray-cancel")
def test_a_cancelled_call_still_frees_its_worker_for_the_next_call() -> None:
    inbox: collections.deque[Any] = collections.deque()
    wakeup = threading.Event()
    workers = _Workers(inbox, wakeup)
    entered, stop = threading.Event(), threading.Event()
    cancelled = []

    def spin() -> None:
        entered.set()
        try:
            while not stop.is_set():
                pass
        except tinyio.CancelledError:
            cancelled.append(threading.current_thread())
            raise

    try:
        call = _ThreadCall(spin, (), {})
        call.start(None, workers)  # type: ignore[arg-type]
        wait(entered)
        assert call.cancel() is True
        _drain(inbox, wakeup, 1)
        assert isinstance(call.value, tinyio.CancelledError)
        follower = _ThreadCall(lambda: (_python_work(), threading.current_thread())[1], (), {})
        follower.start(None, workers)  # type: ignore[arg-type]
        _drain(inbox, wakeup, 1)
        assert follower.ok and follower.value is cancelled[0]
    finally:
        stop.set()
        workers.shutdown()


# ------------------------------------------------------------------------------------------ pool/workers-end
@pytest.mark.spec("pool/workers-end")
def test_every_worker_has_ended_when_run_returns() -> None:
    together = threading.Barrier(5)  # all five run at once, so five workers

    def blocked() -> threading.Thread:
        together.wait(GATE_TIMEOUT)
        return threading.current_thread()

    def main() -> tinyio.Coro[list[threading.Thread]]:
        return (yield [tinyio.run_in_thread(blocked) for _ in range(5)])

    threads = tinyio.Loop().run(main())
    assert len(set(threads)) == 5
    assert not any(t.is_alive() for t in threads)


@pytest.mark.spec("pool/workers-end")
def test_every_worker_has_ended_when_run_raises() -> None:
    threads: list[threading.Thread] = []

    def record() -> None:
        threads.append(threading.current_thread())

    def main() -> tinyio.Coro[None]:
        yield [tinyio.run_in_thread(record) for _ in range(3)]
        raise ValueError("boom")

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    assert threads and not any(t.is_alive() for t in threads)


@pytest.mark.spec("pool/workers-end")
def test_workers_of_a_runtime_block_end_with_it() -> None:
    def main() -> tinyio.Coro[threading.Thread]:
        return (yield tinyio.run_in_thread(threading.current_thread))

    loop = tinyio.Loop()
    with loop.runtime(main(), None) as steps:
        while True:
            try:
                wait_fn = next(steps)
            except StopIteration as stop:
                thread = stop.value
                break
            if wait_fn is not None:
                wait_fn()
    assert not thread.is_alive()


@pytest.mark.spec("pool/workers-end")
def test_an_idle_worker_retires_during_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Workers, "idle_seconds", 0.0)

    def main() -> tinyio.Coro[list[threading.Thread]]:
        seen = []
        for _ in range(40):  # enough to make the worker list forget ended threads
            thread = yield tinyio.run_in_thread(threading.current_thread)
            thread.join(GATE_TIMEOUT)  # nothing else is handed out meanwhile, so it retires
            assert not thread.is_alive()
            seen.append(thread)
        return seen

    loop = tinyio.Loop()
    seen = loop.run(main())
    assert len(set(seen)) == 40  # a retired worker is never handed a call


# ------------------------------------------------------------------------------------------ pool/max-threads
@pytest.mark.spec("pool/max-threads")
@pytest.mark.parametrize("bad", [0, -3])
def test_max_threads_below_one_is_a_value_error(bad: int) -> None:
    with pytest.raises(ValueError, match="positive int"):
        tinyio.ThreadPool(bad)


@pytest.mark.spec("pool/max-threads")
@pytest.mark.parametrize("bad", [True, 2.0, "4", None])
def test_max_threads_of_another_type_is_a_type_error(bad: object) -> None:
    with pytest.raises(TypeError, match="positive int"):
        tinyio.ThreadPool(bad)  # type: ignore[arg-type]


@pytest.mark.spec("pool/max-threads")
def test_max_threads_is_exposed() -> None:
    assert tinyio.ThreadPool(3).max_threads == 3
    assert "max_threads=3" in repr(tinyio.ThreadPool(3))


class Meter:
    """Counts how many gated calls run at once; ``full`` is set once ``limit`` of them are inside."""

    def __init__(self, limit: int) -> None:
        self.lock = threading.Lock()
        self.limit = limit
        self.running = self.peak = 0
        self.entered: list[int] = []
        self.full = threading.Event()
        self.gate = threading.Event()

    def __call__(self, x: int) -> int:
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.entered.append(x)
            if self.running == self.limit:
                self.full.set()
        try:
            wait(self.gate)
        finally:
            with self.lock:
                self.running -= 1
        return x


@pytest.mark.spec("pool/max-threads", "pool/map")
def test_no_more_than_max_threads_run_at_once() -> None:
    pool = tinyio.ThreadPool(3)
    meter = Meter(3)

    def main() -> tinyio.Coro[list[int]]:
        mapping = pool.map(meter, range(10))
        yield {mapping}
        yield tinyio.run_in_thread(wait, meter.full)  # a plain call: not bounded by the pool
        for _ in range(5):  # give the loop every chance to start more than three
            yield tinyio.run_in_thread(lambda: None)
        with meter.lock:
            inside = list(meter.entered)
        meter.gate.set()
        results = yield mapping
        assert len(inside) == 3
        return results

    assert tinyio.Loop().run(main()) == list(range(10))
    assert meter.peak == 3


@pytest.mark.spec("pool/max-threads")
def test_the_bound_holds_across_loops_in_different_threads() -> None:
    pool = tinyio.ThreadPool(2)
    meter = Meter(2)
    results: dict[str, Any] = {}

    def run(name: str) -> None:
        def main() -> tinyio.Coro[list[int]]:
            return (yield pool.map(meter, range(6)))

        results[name] = tinyio.Loop().run(main())

    threads = [threading.Thread(target=run, args=(name,)) for name in "ab"]
    for thread in threads:
        thread.start()
    wait(meter.full)
    meter.gate.set()
    for thread in threads:
        thread.join(GATE_TIMEOUT)
    assert results == {"a": list(range(6)), "b": list(range(6))}
    assert meter.peak == 2


@pytest.mark.spec("pool/max-threads", "pool/cancel")
def test_the_place_is_held_until_the_cancelled_function_has_ended() -> None:
    # Loop A crashes while its pool call is stuck in C code (it cannot see CancelledError yet). Loop B, in another
    # thread, waits for the only place: it must not get it before A's function has really ended.
    pool = tinyio.ThreadPool(1)
    gate, a_cancelled, b_queued = threading.Event(), threading.Event(), threading.Event()
    log: list[str] = []

    def stuck() -> None:
        log.append("a starts")
        try:
            gate.wait(GATE_TIMEOUT)  # C code: the CancelledError waits until this returns
            log.append("a returns")
        finally:
            log.append("a ended")

    def a_main() -> tinyio.Coro[None]:
        def holder() -> tinyio.Coro[None]:
            try:
                yield pool.run_in_thread(stuck)
            except tinyio.CancelledError:
                a_cancelled.set()
                raise

        yield {holder()}
        yield tinyio.run_in_thread(lambda: None)  # by now the call is in its thread
        raise ValueError("a crashes")

    def b_main() -> tinyio.Coro[None]:
        call = pool.run_in_thread(log.append, "b starts")
        yield {call}
        b_queued.set()
        yield call

    errors: list[BaseException] = []

    def a_thread() -> None:
        try:
            tinyio.Loop().run(a_main())
        except BaseException as error:
            errors.append(error)

    ta = threading.Thread(target=a_thread)
    ta.start()
    wait(a_cancelled)
    tb = threading.Thread(target=lambda: tinyio.Loop().run(b_main()))
    tb.start()
    wait(b_queued)
    assert log == ["a starts"]
    gate.set()
    ta.join(GATE_TIMEOUT)
    tb.join(GATE_TIMEOUT)
    assert log[:2] == ["a starts", "a returns"] or log[:2] == ["a starts", "a ended"]
    assert log.index("b starts") > log.index("a ended")
    assert len(errors) == 1 and isinstance(errors[0], ValueError)


# ----------------------------------------------------------------------------------------------- pool/fifo
@pytest.mark.spec("pool/fifo")
def test_waiters_get_their_place_in_the_order_they_asked() -> None:
    pool = tinyio.ThreadPool(1)  # with one place, getting a place and starting are the same order
    gate = threading.Event()
    order: list[int] = []

    def main() -> tinyio.Coro[None]:
        holder = pool.run_in_thread(wait, gate)
        yield {holder}
        waiters = [pool.run_in_thread(order.append, n) for n in range(40)]
        for call in waiters:
            yield {call}
        gate.set()
        yield [holder, *waiters]

    tinyio.Loop().run(main())
    assert order == list(range(40))


@pytest.mark.spec("pool/fifo")
def test_a_newcomer_does_not_overtake_a_woken_waiter() -> None:
    pool = tinyio.ThreadPool(1)
    gate = threading.Event()
    order: list[str] = []

    def main() -> tinyio.Coro[None]:
        holder = pool.run_in_thread(wait, gate)
        yield {holder}
        waiter = pool.run_in_thread(order.append, "waiter")
        yield {waiter}
        gate.set()
        yield holder  # the place has been handed to `waiter` by now; it has not run yet
        newcomer = pool.run_in_thread(order.append, "newcomer")
        yield [newcomer, waiter]

    tinyio.Loop().run(main())
    assert order == ["waiter", "newcomer"]


# --------------------------------------------------------------------------------------------- pool/cancel
@pytest.mark.spec("pool/cancel")
def test_queued_calls_never_run_after_a_crash_and_the_pool_recovers() -> None:
    pool = tinyio.ThreadPool(2)
    gate = threading.Event()
    called: list[int] = []

    def main() -> tinyio.Coro[None]:
        yield {pool.run_in_thread(wait, gate) for _ in range(2)}
        for n in range(20):
            yield {pool.run_in_thread(called.append, n)}
        gate.set()
        raise ValueError("boom")

    with pytest.raises(ValueError):
        tinyio.Loop().run(main())
    assert called == []
    assert pool._running == 0 and not any(not t.dead for t in pool._queue)
    meter = Meter(2)

    def again() -> tinyio.Coro[list[int]]:
        mapping = pool.map(meter, range(4))
        yield {mapping}
        yield tinyio.run_in_thread(wait, meter.full)  # both places are free again
        meter.gate.set()
        return (yield mapping)

    assert tinyio.Loop().run(again()) == [0, 1, 2, 3]


@pytest.mark.spec("pool/cancel")
def test_a_waiter_cancelled_after_being_handed_the_place_passes_it_on() -> None:
    # Loop B's waiter is handed the place by loop A's release while B's loop thread is busy; then B crashes. The place
    # must not leak.
    pool = tinyio.ThreadPool(1)
    gate, a_holds, b_queued, b_go = threading.Event(), threading.Event(), threading.Event(), threading.Event()
    called: list[str] = []

    def a_main() -> tinyio.Coro[None]:
        call = pool.run_in_thread(wait, gate)
        yield {call}
        a_holds.set()  # the call has taken the place
        yield call

    def b_main() -> tinyio.Coro[None]:
        yield {pool.run_in_thread(called.append, "b")}
        b_queued.set()
        wait(b_go)  # blocks B's loop thread: the hand-off cannot be acted on
        raise ValueError("b crashes")

    ta = threading.Thread(target=lambda: tinyio.Loop().run(a_main()))
    ta.start()
    b_errors: list[BaseException] = []

    def b_thread() -> None:
        try:
            tinyio.Loop().run(b_main())
        except BaseException as error:
            b_errors.append(error)

    wait(a_holds)  # A must hold the place before B asks for it
    tb = threading.Thread(target=b_thread)
    tb.start()
    wait(b_queued)
    gate.set()
    ta.join(GATE_TIMEOUT)  # A has released: the place now belongs to B's ticket
    assert pool._queue == collections.deque() and pool._running == 1
    b_go.set()
    tb.join(GATE_TIMEOUT)
    assert called == [] and len(b_errors) == 1
    assert pool._running == 0


# ------------------------------------------------------------------------------------ pool/like-run-in-thread
@pytest.mark.spec("pool/like-run-in-thread")
def test_pool_call_returns_the_result_with_args_and_kwargs() -> None:
    pool = tinyio.ThreadPool(1)

    def f(a: int, b: int, *, c: int) -> tuple[int, int, int]:
        return a, b, c

    def main() -> tinyio.Coro[tuple[int, int, int]]:
        return (yield pool.run_in_thread(f, 1, 2, c=3))

    assert tinyio.Loop().run(main()) == (1, 2, 3)


@pytest.mark.spec("pool/like-run-in-thread")
def test_pool_call_error_crashes_the_loop_with_the_original_error() -> None:
    pool = tinyio.ThreadPool(1)
    error = KeyError("original")

    def fail() -> None:
        raise error

    def main() -> tinyio.Coro[None]:
        yield pool.run_in_thread(fail)

    with pytest.raises(KeyError) as info:
        tinyio.Loop().run(main())
    assert info.value is error


@pytest.mark.spec("pool/like-run-in-thread")
def test_cancellation_reaches_a_running_pool_function() -> None:
    pool = tinyio.ThreadPool(2)
    entered, stop = threading.Event(), threading.Event()
    outcome: list[str] = []
    threads: list[threading.Thread] = []

    def spin() -> None:
        threads.append(threading.current_thread())
        entered.set()
        try:
            while not stop.is_set():
                pass
        except tinyio.CancelledError:
            outcome.append("cancelled")
            raise

    def main() -> tinyio.Coro[None]:
        yield {pool.run_in_thread(spin)}
        yield tinyio.run_in_thread(wait, entered)
        raise ValueError("boom")

    try:
        with pytest.raises(ValueError):
            tinyio.Loop().run(main())
    finally:
        stop.set()
    assert outcome == ["cancelled"]
    assert not threads[0].is_alive()
    assert pool._running == 0


@pytest.mark.spec("pool/like-run-in-thread")
@pytest.mark.parametrize("call", [lambda p: p.run_in_thread(42), lambda p: p.map(None, [1])])
def test_non_callable_is_a_type_error_at_call_time(call: Callable[[tinyio.ThreadPool], object]) -> None:
    with pytest.raises(TypeError, match="callable"):
        call(tinyio.ThreadPool(1))


# ------------------------------------------------------------------------------------------------ pool/map
@pytest.mark.spec("pool/map")
def test_map_results_are_in_input_order_whatever_order_they_finish_in() -> None:
    pool = tinyio.ThreadPool(4)
    done = [threading.Event() for _ in range(4)]
    finished: list[int] = []

    def work(i: int) -> int:
        if i + 1 < len(done):
            wait(done[i + 1])  # each waits for the next one: they finish last to first
        finished.append(i)
        done[i].set()
        return i * 10

    def main() -> tinyio.Coro[list[int]]:
        return (yield pool.map(work, range(4)))

    assert tinyio.Loop().run(main()) == [0, 10, 20, 30]
    assert finished == [3, 2, 1, 0]


@pytest.mark.spec("pool/map")
def test_map_reads_its_input_at_call_time_and_handles_empty() -> None:
    pool = tinyio.ThreadPool(1)
    xs = [1, 2]
    mapping = pool.map(str, xs)
    xs.append(3)

    def main() -> tinyio.Coro[tuple[list[str], list[str]]]:
        return (yield mapping), (yield pool.map(str, []))

    assert tinyio.Loop().run(main()) == (["1", "2"], [])


@pytest.mark.spec("pool/map")
def test_map_error_crashes_and_cancels_the_other_calls() -> None:
    pool = tinyio.ThreadPool(3)
    entered = threading.Barrier(2)
    stop = threading.Event()
    cancelled: list[int] = []

    def work(i: int) -> int:
        if i == 0:
            entered.wait(GATE_TIMEOUT)
            raise ArithmeticError("first fails")
        entered.wait(GATE_TIMEOUT)
        try:
            while not stop.is_set():
                pass
        except tinyio.CancelledError:
            cancelled.append(i)
            raise
        return i

    def main() -> tinyio.Coro[list[int]]:
        return (yield pool.map(work, range(2)))

    try:
        with pytest.raises(ArithmeticError):
            tinyio.Loop().run(main())
    finally:
        stop.set()
    assert cancelled == [1]


@pytest.mark.spec("pool/reuse", "pool/no-stray-cancel")
def test_cancellation_reaches_a_function_on_a_reused_worker() -> None:
    entered, stop = tinyio.Event(), threading.Event()
    outcome: list[object] = []

    def spin() -> None:
        outcome.append(threading.current_thread())
        entered.set()  # a tinyio Event: the loop needs no second thread to learn of it
        try:
            while not stop.is_set():
                pass
        except tinyio.CancelledError:
            outcome.append("cancelled")
            raise

    def main() -> tinyio.Coro[None]:
        first = yield tinyio.run_in_thread(threading.current_thread)
        outcome.append(first)
        yield {tinyio.run_in_thread(spin)}  # runs on the same, reused worker
        yield entered.wait()
        raise ValueError("boom")

    try:
        with pytest.raises(ValueError):
            tinyio.Loop().run(main())
    finally:
        stop.set()
    first, second, result = outcome
    assert first is second and result == "cancelled"


@pytest.mark.spec("pool/cancel")
def test_any_error_thrown_at_a_queued_call_withdraws_it_or_passes_its_place_on() -> None:
    # What a timeout throws at the yield (without a loop, to pin down the exact moments).
    from tinyio._event import _Park

    pool = tinyio.ThreadPool(1)
    holder = pool.run_in_thread(print)
    call = holder.send(None)
    assert isinstance(call, _ThreadCall)  # holds the only place
    queued = pool.run_in_thread(print)
    assert isinstance(queued.send(None), _Park)  # waits for it
    with pytest.raises(TimeoutError):
        queued.throw(TimeoutError("withdrawn while waiting"))
    granted = pool.run_in_thread(print)
    assert isinstance(granted.send(None), _Park)
    assert call.on_done is not None
    call.on_done()  # the holder's function ended: the place goes to `granted`, skipping the withdrawn one
    assert pool._running == 1
    with pytest.raises(TimeoutError):
        granted.throw(TimeoutError("gone after being handed the place"))
    assert pool._running == 0 and not pool._queue
    holder.close()
