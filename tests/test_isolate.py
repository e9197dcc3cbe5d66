"""tinyio.isolate and tinyio.copy (spec/isolate.rst)."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import Any

import pytest

import tinyio
import tinyio.testing

Coro = Generator[Any, Any, Any]


def virtual() -> tinyio.Loop:
    return tinyio.Loop(clock=tinyio.testing.VirtualClock())


def sleeper(seconds: float, log: list[Any], name: str) -> Coro:
    try:
        yield tinyio.sleep(seconds)
    except BaseException as error:
        log.append((name, type(error).__name__))
        raise
    log.append((name, "done"))
    return name


def failing(message: str = "boom", steps: int = 1) -> Coro:
    for _ in range(steps):
        yield
    raise ValueError(message)


# ------------------------------------------------------------------------------------------------------ result
@pytest.mark.spec("isolate/result")
def test_success_gives_result_and_true() -> None:
    def main() -> Coro:
        return (yield tinyio.isolate(sleeper(1, [], "job")))

    assert virtual().run(main()) == ("job", True)


@pytest.mark.spec("isolate/result")
def test_isolate_as_the_main_coroutine() -> None:
    error, ok = virtual().run(tinyio.isolate(failing("main")))
    assert ok is False and str(error) == "main"


@pytest.mark.spec("isolate/result", "nesting/inner-loop")
def test_isolated_coroutine_runs_interleaved_in_the_same_loop() -> None:
    log: list[str] = []

    def ticker(name: str) -> Coro:
        for i in range(5):
            log.append(f"{name}{i}")
            yield

    def main() -> Coro:
        yield {ticker("outer")}
        return (yield tinyio.isolate(ticker("inner")))

    assert virtual().run(main()) == (None, True)
    assert log.index("inner0") < log.index("outer4") and log.index("outer4") < log.index("inner4")


@pytest.mark.spec("isolate/result")
def test_isolated_coroutine_may_await_an_outside_coroutine_and_event() -> None:
    event = tinyio.Event()

    def outside() -> Coro:
        yield tinyio.sleep(1)
        event.set()
        return "outside"

    def main() -> Coro:
        work = outside()
        yield {work}

        def job() -> Coro:
            yield event.wait()
            return (yield work)

        return (yield tinyio.isolate(job()))

    assert virtual().run(main()) == ("outside", True)


# ---------------------------------------------------------------------------------------------------- contains
@pytest.mark.spec("isolate/contains")
def test_failure_cancels_the_tree_newest_first_then_the_isolated_coroutine() -> None:
    log: list[Any] = []

    def job() -> Coro:
        try:
            yield {sleeper(100, log, "bg")}
            yield [sleeper(100, log, "g1"), failing(steps=3), sleeper(100, log, "g2")]
        except tinyio.CancelledError:
            log.append(("job", "CancelledError"))
            raise

    def main() -> Coro:
        error, ok = yield tinyio.isolate(job())
        return str(error), ok

    assert virtual().run(main()) == ("boom", False)
    assert log == [("g2", "CancelledError"), ("g1", "CancelledError"), ("bg", "CancelledError"), ("job", "CancelledError")]


@pytest.mark.spec("isolate/contains")
def test_the_original_error_object_is_returned() -> None:
    original = ValueError("the one")

    def job() -> Coro:
        yield
        raise original

    def main() -> Coro:
        return (yield tinyio.isolate(job()))

    error, ok = virtual().run(main())
    assert error is original and ok is False


@pytest.mark.spec("isolate/contains")
def test_the_rest_of_the_program_is_not_affected() -> None:
    log: list[Any] = []

    def main() -> Coro:
        bystander = sleeper(5, log, "bystander")
        yield {bystander}
        results = yield [tinyio.isolate(failing(str(i), steps=i)) for i in range(5)]
        yield bystander
        return [(str(e), ok) for e, ok in results]

    assert virtual().run(main()) == [(str(i), False) for i in range(5)]
    assert log == [("bystander", "done")]


@pytest.mark.spec("isolate/contains", "misuse/at-yield")
def test_misuse_inside_is_contained() -> None:
    def job() -> Coro:
        yield (1, 2)

    def main() -> Coro:
        error, ok = yield tinyio.isolate(job())
        return type(error), ok

    assert virtual().run(main()) == (TypeError, False)


@pytest.mark.spec("isolate/contains")
def test_a_thread_error_inside_is_contained_and_a_running_thread_is_cancelled() -> None:
    started = threading.Event()
    outcome: list[str] = []

    def spinning() -> None:
        started.set()
        try:
            while True:
                threading.Event().wait(0.001)
        except tinyio.CancelledError:
            outcome.append("thread cancelled")
            raise

    def wait_started() -> Coro:
        yield tinyio.run_in_thread(started.wait)
        raise KeyError("after the thread started")

    def job() -> Coro:
        yield [tinyio.run_in_thread(spinning), wait_started()]

    def main() -> Coro:
        error, ok = yield tinyio.isolate(job())
        return type(error), ok

    assert tinyio.Loop().run(main()) == (KeyError, False)
    assert outcome == ["thread cancelled"]


@pytest.mark.spec("isolate/contains", "sync/abandon")
def test_a_lock_held_inside_is_released_when_the_tree_stops() -> None:
    lock = tinyio.Lock()

    def holder() -> Coro:
        with (yield lock()):
            yield tinyio.sleep(100)

    def job() -> Coro:
        yield [holder(), failing(steps=3)]

    def main() -> Coro:
        yield tinyio.isolate(job())
        return lock.available

    assert virtual().run(main()) == 1


@pytest.mark.spec("isolate/contains")
def test_nested_isolates_contain_at_the_innermost() -> None:
    def inner_job() -> Coro:
        yield {failing("inner")}
        yield tinyio.sleep(100)

    def outer_job() -> Coro:
        error, ok = yield tinyio.isolate(inner_job())
        return f"inner said {error}"

    def main() -> Coro:
        return (yield tinyio.isolate(outer_job()))

    assert virtual().run(main()) == ("inner said inner", True)


@pytest.mark.internals
@pytest.mark.spec("isolate/contains", "sched/reuse")
def test_loop_state_is_clean_after_many_isolates() -> None:
    loop = virtual()

    def job(i: int) -> Coro:
        yield {tinyio.sleep(1)}
        if i % 3 == 0:
            yield {failing(steps=2)}
        yield tinyio.sleep(2)
        return i

    def main() -> Coro:
        results = yield [tinyio.isolate(job(i)) for i in range(300)]
        assert not loop._scopes and not loop._scope_of
        return [ok for _, ok in results]

    assert loop.run(main()) == [i % 3 != 0 for i in range(300)]


# ------------------------------------------------------------------------------------------------------- waits
@pytest.mark.spec("isolate/waits")
def test_waits_for_background_work_then_returns() -> None:
    clock = tinyio.testing.VirtualClock()
    log: list[Any] = []

    def job() -> Coro:
        yield {sleeper(5, log, "bg")}
        return "job"

    def main() -> Coro:
        got = yield tinyio.isolate(job())
        return got, clock.now()

    assert tinyio.Loop(clock=clock).run(main()) == (("job", True), 5.0)
    assert log == [("bg", "done")]


@pytest.mark.spec("isolate/waits", "isolate/contains")
def test_late_background_failure_is_contained() -> None:
    log: list[Any] = []

    def job() -> Coro:
        yield {failing("late", steps=10), sleeper(100, log, "bg")}
        return "returned early"

    def main() -> Coro:
        error, ok = yield tinyio.isolate(job())
        return str(error), ok

    assert virtual().run(main()) == ("late", False)
    assert log == [("bg", "CancelledError")]


# ------------------------------------------------------------------------------------------------------- group
@pytest.mark.spec("isolate/group")
@pytest.mark.parametrize("mode", [None, True, False])
def test_exception_group_modes_without_clean_up_errors(mode: bool | None) -> None:
    def job() -> Coro:
        yield [sleeper(100, [], "quiet"), failing()]

    def main() -> Coro:
        return (yield tinyio.isolate(job(), exception_group=mode))

    error, ok = virtual().run(main())
    assert ok is False
    if mode:
        assert isinstance(error, BaseExceptionGroup)
        assert isinstance(error.exceptions[0], ValueError)
        # the sleeper and job (the gather's waiter), newest first; the sleeper's sleep() is not reported (errors/group)
        assert [type(e) for e in error.exceptions[1:]] == [tinyio.CancelledError] * 2
    else:
        assert isinstance(error, ValueError)


@pytest.mark.spec("isolate/group")
@pytest.mark.parametrize("mode", [None, True, False])
def test_exception_group_modes_with_a_clean_up_error(mode: bool | None) -> None:
    def messy() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.CancelledError:
            raise KeyError("clean-up")

    def job() -> Coro:
        yield [messy(), failing()]

    def main() -> Coro:
        return (yield tinyio.isolate(job(), exception_group=mode))

    error, ok = virtual().run(main())
    assert ok is False
    if mode is False:
        assert isinstance(error, ValueError)
    else:
        assert isinstance(error, BaseExceptionGroup)
        kinds = [type(e) for e in error.exceptions]
        if mode is None:
            assert kinds == [ValueError, KeyError]
        else:  # everything, in the order of cancellation: messy, job (sleep()'s coroutine is not reported)
            assert kinds == [ValueError, KeyError, tinyio.CancelledError]


@pytest.mark.spec("isolate/group", "isolate/new-coroutine")
def test_bad_exception_group_argument() -> None:
    coro = failing()
    with pytest.raises(TypeError, match="exception_group"):
        tinyio.isolate(coro, exception_group="yes")  # type: ignore[arg-type]
    coro.close()


# ----------------------------------------------------------------------------------------------------- escapes
@pytest.mark.spec("isolate/escapes")
@pytest.mark.parametrize("kind", [KeyboardInterrupt, SystemExit])
def test_keyboard_interrupt_and_system_exit_are_not_contained(kind: type[BaseException]) -> None:
    log: list[Any] = []

    def job() -> Coro:
        yield {sleeper(100, log, "inside")}
        yield
        raise kind()

    def main() -> Coro:
        yield {sleeper(100, log, "outside")}
        yield tinyio.isolate(job())

    with pytest.raises(kind):
        virtual().run(main())
    assert sorted(log) == [("inside", "CancelledError"), ("outside", "CancelledError")]


@pytest.mark.spec("isolate/escapes")
def test_keyboard_interrupt_during_clean_up_is_not_contained() -> None:
    def interrupted_cleanup() -> Coro:
        try:
            yield tinyio.sleep(100)
        except tinyio.CancelledError:
            raise KeyboardInterrupt

    def job() -> Coro:
        yield [interrupted_cleanup(), failing()]

    def main() -> Coro:
        yield tinyio.isolate(job())
        return "not reached"

    with pytest.raises(KeyboardInterrupt):
        virtual().run(main())


@pytest.mark.spec("isolate/escapes", "errors/crash")
def test_a_crash_outside_cancels_the_isolated_tree() -> None:
    log: list[Any] = []

    def job() -> Coro:
        yield {sleeper(100, log, "inside bg")}
        yield sleeper(100, log, "inside")

    def main() -> Coro:
        yield {failing("outside", steps=5)}
        yield tinyio.isolate(job())

    with pytest.raises(ValueError, match="outside"):
        virtual().run(main())
    assert sorted(log) == [("inside", "CancelledError"), ("inside bg", "CancelledError")]


# ---------------------------------------------------------------------------------------------- outside-waiter
@pytest.mark.spec("isolate/outside-waiter")
def test_member_awaited_from_outside_survives_the_stop() -> None:
    log: list[Any] = []
    handed: list[Coro] = []
    started = tinyio.Event()

    def shared() -> Coro:
        yield {sleeper(3, log, "shared's child")}
        yield tinyio.sleep(5)
        return "shared"

    def job() -> Coro:
        work = shared()
        yield {work}
        handed.append(work)
        started.set()
        yield [sleeper(100, log, "private"), failing(steps=3)]

    def main() -> Coro:
        isolated = tinyio.isolate(job())
        yield {isolated}
        yield started.wait()
        got = yield handed[0]
        return got, (yield isolated)[1]

    assert virtual().run(main()) == ("shared", False)
    assert ("private", "CancelledError") in log
    assert ("shared's child", "done") in log


@pytest.mark.spec("isolate/outside-waiter")
def test_failure_of_a_member_awaited_from_outside_crashes_the_loop() -> None:
    handed: list[Coro] = []
    started = tinyio.Event()

    def job() -> Coro:
        work = failing("shared failure", steps=5)
        yield {work}
        handed.append(work)
        started.set()
        yield tinyio.sleep(100)

    def main() -> Coro:
        yield {tinyio.isolate(job())}
        yield started.wait()
        yield handed[0]

    with pytest.raises(ValueError, match="shared failure"):
        virtual().run(main())


# ---------------------------------------------------------------------------------------------- new-coroutine
@pytest.mark.spec("isolate/new-coroutine")
def test_started_or_finished_coroutines_are_refused_at_call_time() -> None:
    started = failing()
    next(started)
    with pytest.raises(RuntimeError, match="already started"):
        tinyio.isolate(started)
    finished = failing()
    with pytest.raises(ValueError):
        list(finished)
    with pytest.raises(RuntimeError, match="finished"):
        tinyio.isolate(finished)


@pytest.mark.spec("isolate/new-coroutine")
@pytest.mark.parametrize("bad", [42, None, failing])
def test_non_coroutines_are_refused_at_call_time(bad: object) -> None:
    with pytest.raises(TypeError, match="coroutine"):
        tinyio.isolate(bad)  # type: ignore[arg-type]


@pytest.mark.spec("isolate/new-coroutine")
def test_async_def_coroutine_is_refused_and_closed() -> None:
    async def native() -> None:
        pass

    coro = native()
    with pytest.raises(TypeError, match="from_asyncio"):
        tinyio.isolate(coro)  # type: ignore[arg-type]
    assert coro.cr_frame is None  # closed: no "never awaited" warning


@pytest.mark.spec("isolate/new-coroutine")
def test_coroutine_started_between_call_and_yield_is_refused_at_the_yield() -> None:
    def main() -> Coro:
        job = sleeper(1, [], "job")
        isolated = tinyio.isolate(job)
        yield job  # now it has started (and finished)
        return (yield isolated)

    error, ok = virtual().run(main())
    assert ok is False and isinstance(error, RuntimeError) and "isolate" in str(error)


# -------------------------------------------------------------------------------------------------------- copy
@pytest.mark.spec("copy/start")
def test_copy_starts_the_coroutine_outside_and_gives_its_result() -> None:
    log: list[Any] = []

    def main() -> Coro:
        source = sleeper(5, log, "source")
        copied = yield tinyio.copy(source)
        assert log == []  # running, not finished

        def job() -> Coro:
            return (yield copied)

        return (yield tinyio.isolate(job())), (yield source)

    assert virtual().run(main()) == (("source", True), "source")
    assert log == [("source", "done")]


@pytest.mark.spec("copy/start")
def test_copied_coroutine_survives_a_failing_isolate() -> None:
    log: list[Any] = []

    def main() -> Coro:
        source = sleeper(5, log, "source")
        copied = yield tinyio.copy(source)

        def job() -> Coro:
            yield {copied}
            yield
            raise ValueError("inside")

        error, ok = yield tinyio.isolate(job())
        return str(error), ok, (yield source)

    assert virtual().run(main()) == ("inside", False, "source")
    assert log == [("source", "done")]


@pytest.mark.spec("copy/start")
def test_failure_of_the_copied_coroutine_is_an_outside_failure() -> None:
    def main() -> Coro:
        copied = yield tinyio.copy(failing("source failed", steps=3))

        def job() -> Coro:
            return (yield copied)

        yield tinyio.isolate(job())

    with pytest.raises(ValueError, match="source failed"):
        virtual().run(main())


@pytest.mark.spec("copy/start")
def test_copy_of_a_running_or_finished_coroutine_and_bad_input() -> None:
    def main() -> Coro:
        source = sleeper(1, [], "source")
        yield {source}
        running = yield tinyio.copy(source)
        yield source
        finished = yield tinyio.copy(source)
        return (yield [running, finished])

    assert virtual().run(main()) == ["source", "source"]
    with pytest.raises(TypeError, match="coroutine"):
        tinyio.copy(42)  # type: ignore[arg-type]


@pytest.mark.spec("copy/unconsumed")
def test_unconsumed_copy_does_not_hang_and_the_source_runs_to_its_end() -> None:
    log: list[Any] = []

    def main() -> Coro:
        yield tinyio.copy(sleeper(5, log, "source"))
        return "done"

    assert virtual().run(main()) == "done"
    assert log == [("source", "done")]
