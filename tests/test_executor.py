"""tinyio.run_in_executor with real executors: threads, processes, and a dask.distributed cluster (spec/executor.rst).

Processes are synchronised with multiprocessing events that the test opens; nothing waits on wall-clock time.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import os
import re
import textwrap
import threading
from collections.abc import Iterator
from typing import Any

import pytest

import tinyio

GATE_TIMEOUT = 20.0  # a safety net against hangs only

_gate: Any = None  # set in each worker process by the pool's initializer
_ran: Any = None
_started: Any = None


def _init_gate(gate: Any, ran: Any, started: Any) -> None:
    global _gate, _ran, _started
    _gate, _ran, _started = gate, ran, started


def _mark_ran() -> None:
    _ran.set()


def _wait_gate() -> str:
    _started.set()
    assert _gate.wait(GATE_TIMEOUT)
    return "opened"


def _pid() -> int:
    return os.getpid()


def _fail(message: str) -> None:
    raise LookupError(message)


_DASK_GATE = threading.Event()  # the cluster runs with processes=False: its workers are threads of this process


def _dask_wait() -> bool:
    return _DASK_GATE.wait(GATE_TIMEOUT)


def _square(x: int) -> int:
    return x * x


# ---------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def mp_context() -> Any:
    # fork is fastest where it is safe enough for these tiny functions; spawn everywhere else.
    return multiprocessing.get_context("fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn")


@pytest.fixture(scope="module")
def process_pool(mp_context: Any) -> Iterator[tuple[concurrent.futures.ProcessPoolExecutor, Any, Any, Any]]:
    gate, ran, started = mp_context.Event(), mp_context.Event(), mp_context.Event()
    with concurrent.futures.ProcessPoolExecutor(
        max_workers=1, mp_context=mp_context, initializer=_init_gate, initargs=(gate, ran, started)
    ) as executor:
        yield executor, gate, ran, started
        gate.set()


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    distributed = pytest.importorskip("distributed", reason="dask[distributed] is in the test extra")
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as client:
        yield client


def _docstring_example() -> str:
    match = re.search(r"Example::\n\n((?:[ \t]+.*\n|\n)+)", (tinyio.run_in_executor.__doc__ or "") + "\n")
    assert match
    return textwrap.dedent(match.group(1))


@pytest.mark.spec("executor/run")
def test_docstring_example_runs() -> None:
    exec(compile(_docstring_example(), "<docstring of run_in_executor>", "exec"), {})


# ------------------------------------------------------------------------------------------------ executor/run
@pytest.mark.spec("executor/run")
def test_process_pool_runs_the_call_in_another_process(
    process_pool: tuple[concurrent.futures.ProcessPoolExecutor, Any, Any, Any],
) -> None:
    executor, _, _, _ = process_pool

    def main() -> tinyio.Coro[tuple[int, list[int]]]:
        pid = yield tinyio.run_in_executor(executor, _pid)
        squares = yield [tinyio.run_in_executor(executor, _square, n) for n in range(5)]
        return pid, squares

    pid, squares = tinyio.Loop().run(main())
    assert pid != os.getpid()
    assert squares == [0, 1, 4, 9, 16]


@pytest.mark.spec("executor/run")
def test_submitted_when_the_coroutine_starts_and_other_coroutines_run_meanwhile() -> None:
    gate = threading.Event()
    log: list[str] = []

    def blocking(tag: str, *, suffix: str) -> str:
        log.append("submitted")
        assert gate.wait(GATE_TIMEOUT)
        return tag + suffix

    def opener() -> tinyio.Coro[None]:
        yield
        log.append("loop runs")
        gate.set()

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        call = tinyio.run_in_executor(executor, blocking, "a", suffix="b")
        assert executor.submit(lambda: None).result() is None  # the executor's queue is drained...
        assert log == []  # ...and nothing was submitted by creating the coroutine

        def main() -> tinyio.Coro[str]:
            result, _ = yield [call, opener()]
            return result  # type: ignore[no-any-return]

        assert tinyio.Loop().run(main()) == "ab"
    assert log == ["submitted", "loop runs"] or log == ["loop runs", "submitted"]


@pytest.mark.spec("executor/run")
def test_any_object_with_submit_works_and_a_done_future_costs_a_checkpoint() -> None:
    class Inline:
        def submit(self, fn: Any, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
            future: concurrent.futures.Future[Any] = concurrent.futures.Future()
            future.set_result(fn(*args, **kwargs))
            return future

    order: list[str] = []

    def other() -> tinyio.Coro[None]:
        order.append("other")
        yield

    def main() -> tinyio.Coro[int]:
        yield {other()}  # other is ready, behind main
        value = yield tinyio.run_in_executor(Inline(), len, "four")  # type: ignore[arg-type]
        order.append("main")
        return value  # type: ignore[no-any-return]

    assert tinyio.Loop().run(main()) == 4
    assert order == ["other", "main"]


# ---------------------------------------------------------------------------------------------- executor/error
@pytest.mark.spec("executor/error")
def test_process_error_crashes_the_loop_with_the_remote_traceback(
    process_pool: tuple[concurrent.futures.ProcessPoolExecutor, Any, Any, Any],
) -> None:
    executor, _, _, _ = process_pool

    def main() -> tinyio.Coro[None]:
        yield tinyio.run_in_executor(executor, _fail, "in the child")

    with pytest.raises(LookupError, match="in the child") as info:
        tinyio.Loop().run(main())
    assert "_fail" in str(info.value.__cause__)  # concurrent.futures' remote traceback


@pytest.mark.spec("executor/error")
def test_error_object_is_the_futures_and_a_shut_down_executor_raises_at_the_yield() -> None:
    error = KeyError("mine")

    def fail() -> None:
        raise error

    executor = concurrent.futures.ThreadPoolExecutor(max_workers=1)

    def main() -> tinyio.Coro[None]:
        yield tinyio.run_in_executor(executor, fail)

    with pytest.raises(KeyError) as info:
        tinyio.Loop().run(main())
    assert info.value is error
    executor.shutdown()
    with pytest.raises(RuntimeError, match="shutdown"):
        tinyio.Loop().run(main())


@pytest.mark.spec("executor/error")
def test_a_future_cancelled_by_someone_else_raises_its_cancelled_error() -> None:
    gate = threading.Event()
    futures: list[concurrent.futures.Future[Any]] = []

    class Recording(concurrent.futures.ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
            future = super().submit(fn, *args, **kwargs)
            futures.append(future)
            return future

    with Recording(max_workers=1) as executor:

        def main() -> tinyio.Coro[None]:
            yield {tinyio.run_in_executor(executor, gate.wait, GATE_TIMEOUT)}
            queued = tinyio.run_in_executor(executor, print, "never")
            yield {queued}
            assert futures[1].cancel()
            yield queued

        try:
            with pytest.raises(concurrent.futures.CancelledError):
                tinyio.Loop().run(main())
        finally:
            gate.set()


# --------------------------------------------------------------------------------------------- executor/cancel
@pytest.mark.spec("executor/cancel")
def test_crash_cancels_queued_process_calls_and_does_not_wait_for_the_running_one(
    process_pool: tuple[concurrent.futures.ProcessPoolExecutor, Any, Any, Any],
) -> None:
    executor, gate, ran, started = process_pool
    gate.clear()
    started.clear()
    futures: list[concurrent.futures.Future[Any]] = []
    original_submit = executor.submit

    def recording_submit(fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future = original_submit(fn, *args, **kwargs)
        futures.append(future)
        return future

    executor.submit = recording_submit  # type: ignore[method-assign]
    try:

        def main() -> tinyio.Coro[None]:
            yield {tinyio.run_in_executor(executor, _wait_gate)}  # occupies the only worker process
            assert (yield tinyio.run_in_thread(started.wait, GATE_TIMEOUT))
            for _ in range(6):
                yield {tinyio.run_in_executor(executor, _mark_ran)}
            raise ValueError("boom")

        with pytest.raises(ValueError):
            tinyio.Loop().run(main())  # would hang until GATE_TIMEOUT if it waited for _wait_gate
        running, *queued = futures
        # A process pool moves a call or two beyond its workers into its call queue, where it counts as running and
        # can no longer be cancelled (spec: executor/cancel names this limit); the others were cancelled.
        assert sum(f.cancelled() for f in queued) >= 4
        assert not running.done(), running  # still running: run returned without it
    finally:
        del executor.submit
        gate.set()
    assert running.result(GATE_TIMEOUT) == "opened"
    assert executor.submit(_square, 3).result(GATE_TIMEOUT) == 9  # the executor is still fine
    uncancelled = [f for f in queued if not f.cancelled()]
    assert ran.is_set() == bool(uncancelled)
    for future in uncancelled:
        future.result(GATE_TIMEOUT)


@pytest.mark.spec("executor/cancel")
def test_an_error_thrown_at_the_yield_cancels_the_future() -> None:
    gate = threading.Event()
    futures: list[concurrent.futures.Future[Any]] = []

    class Recording(concurrent.futures.ThreadPoolExecutor):
        def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
            future = super().submit(fn, *args, **kwargs)
            futures.append(future)
            return future

    with Recording(max_workers=1) as executor:
        executor.submit(gate.wait, GATE_TIMEOUT)  # occupy the worker
        coro = tinyio.run_in_executor(executor, print, "never")
        coro.send(None)  # submitted and parked, as if a loop ran it
        with pytest.raises(TimeoutError):
            coro.throw(TimeoutError("from a timeout"))
        assert futures[-1].cancelled()
        gate.set()


# ------------------------------------------------------------------------------------------- executor/no-thread
@pytest.mark.spec("executor/no-thread")
def test_waiting_starts_no_thread_of_the_loop() -> None:
    gate = threading.Event()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as executor:
        executor.submit(lambda: None).result()
        loops: list[tinyio.Loop] = []
        counts: list[int] = []

        def watcher() -> tinyio.Coro[None]:
            yield
            counts.append(threading.active_count())
            assert loops[0]._workers is None  # no worker thread was ever needed
            gate.set()

        def main() -> tinyio.Coro[bool]:
            result, _ = yield [tinyio.run_in_executor(executor, gate.wait, GATE_TIMEOUT), watcher()]
            return result  # type: ignore[no-any-return]

        before = threading.active_count()
        loop = tinyio.Loop()
        loops.append(loop)
        assert loop.run(main()) is True
        assert counts == [before]


# ------------------------------------------------------------------------------------------- executor/bad-args
@pytest.mark.spec("executor/bad-args")
@pytest.mark.parametrize(
    ("executor", "fn", "match"),
    [(None, print, "submit"), (object(), print, "submit"), (concurrent.futures.ThreadPoolExecutor(1), 42, "callable")],
)
def test_bad_arguments_are_type_errors_at_call_time(executor: Any, fn: Any, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        tinyio.run_in_executor(executor, fn)


# ---------------------------------------------------------------------------------------------------- dask
@pytest.mark.spec("executor/run", "executor/error", "executor/cancel")
def test_dask_distributed_cluster(dask_client: Any) -> None:
    executor = dask_client.get_executor()

    def main() -> tinyio.Coro[list[int]]:
        return (yield [tinyio.run_in_executor(executor, _square, n, pure=False) for n in range(6)])

    assert tinyio.Loop().run(main()) == [0, 1, 4, 9, 16, 25]

    def failing() -> tinyio.Coro[None]:
        yield tinyio.run_in_executor(executor, _fail, "on the cluster", pure=False)

    with pytest.raises(LookupError, match="on the cluster"):
        tinyio.Loop().run(failing())

    futures: list[concurrent.futures.Future[Any]] = []
    original_submit = executor.submit

    def recording_submit(fn: Any, /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        future = original_submit(fn, *args, **kwargs)
        futures.append(future)
        return future

    executor.submit = recording_submit

    def crashing() -> tinyio.Coro[None]:
        for _ in range(3):  # two worker threads: at least one of these is still queued
            yield {tinyio.run_in_executor(executor, _dask_wait, pure=False)}
        raise ValueError("boom")

    try:
        with pytest.raises(ValueError):
            tinyio.Loop().run(crashing())
        assert len(futures) == 3 and all(f.cancelled() for f in futures)  # dask futures can always be cancelled
    finally:
        _DASK_GATE.set()
