"""Semaphore, Lock and Barrier (spec/sync.rst)."""

from __future__ import annotations

import gc
import threading
from collections.abc import Generator
from typing import Any

import pytest

import tinyio
import tinyio.testing

Coro = Generator[Any, Any, Any]


def crash_run(coro: Coro) -> None:
    """Run ``coro``, which is expected to crash the loop with RuntimeError("crash")."""
    with pytest.raises(RuntimeError, match="crash"):
        tinyio.Loop().run(coro)


# ------------------------------------------------------------------------------------------------------ values
@pytest.mark.spec("sync/value")
@pytest.mark.parametrize("cls", [tinyio.Semaphore, tinyio.Barrier])
@pytest.mark.parametrize(
    ("bad", "kind"),
    [(0, ValueError), (-3, ValueError), (1.0, TypeError), (2.5, TypeError), (True, TypeError), ("2", TypeError),
     (None, TypeError)],
)
def test_bad_values_are_refused_at_call_time(cls: Any, bad: object, kind: type[Exception]) -> None:
    with pytest.raises(kind, match=r"value.*(positive int|at least 1)"):
        cls(bad)


@pytest.mark.spec("sync/value")
def test_index_objects_are_accepted() -> None:
    class Three:
        def __index__(self) -> int:
            return 3

    assert tinyio.Semaphore(Three()).available == 3  # type: ignore[arg-type]
    assert tinyio.Barrier(Three()).parties == 3  # type: ignore[arg-type]


@pytest.mark.spec("sync/value", "sync/limit")
def test_lock_takes_no_argument_and_has_one_permit() -> None:
    lock = tinyio.Lock()
    assert lock.available == 1
    with pytest.raises(TypeError):
        tinyio.Lock(2)  # type: ignore[call-arg]


# ------------------------------------------------------------------------------------------------------- limit
@pytest.mark.spec("sync/limit")
@pytest.mark.parametrize("value", [1, 2, 3, 7])
def test_never_more_holders_than_permits(value: int) -> None:
    semaphore = tinyio.Semaphore(value)
    inside: list[int] = []
    peak = [0]

    def worker(i: int) -> Coro:
        for _ in range(i % 3):
            yield
        with (yield semaphore()):
            inside.append(i)
            peak[0] = max(peak[0], len(inside))
            for _ in range(1 + i % 4):
                yield
            inside.remove(i)
        return i

    def main() -> Coro:
        return (yield [worker(i) for i in range(20)])

    assert tinyio.Loop().run(main()) == list(range(20))
    assert peak[0] == value
    assert semaphore.available == value


@pytest.mark.spec("sync/limit")
def test_waiter_waits_until_release() -> None:
    lock = tinyio.Lock()
    log: list[str] = []
    release = tinyio.Event()

    def holder() -> Coro:
        with (yield lock()):
            log.append("holder in")
            yield release.wait()
            log.append("holder out")

    def other() -> Coro:
        with (yield lock()):
            log.append("other in")

    def opener() -> Coro:
        for _ in range(10):
            yield
        log.append("opening")
        release.set()

    def main() -> Coro:
        yield [holder(), other(), opener()]

    tinyio.Loop().run(main())
    assert log == ["holder in", "opening", "holder out", "other in"]


# -------------------------------------------------------------------------------------------------------- fifo
@pytest.mark.spec("sync/fifo")
def test_permits_go_in_the_order_asked() -> None:
    lock = tinyio.Lock()
    order: list[int] = []

    def user(i: int) -> Coro:
        with (yield lock()):
            order.append(i)
            yield

    def main() -> Coro:
        with (yield lock()):
            for i in range(10):
                yield {user(i)}
                yield  # user i has asked before user i + 1 starts
        yield [user(10)]

    tinyio.Loop().run(main())
    assert order == list(range(11))


@pytest.mark.spec("sync/fifo")
@pytest.mark.parametrize("value", [1, 3])
def test_woken_waiter_is_not_overtaken_by_a_newcomer(value: int) -> None:
    semaphore = tinyio.Semaphore(value)
    order: list[str] = []

    def user(name: str) -> Coro:
        with (yield semaphore()):
            order.append(name)
            yield

    def holders() -> Coro:
        permits = []
        for _ in range(value):
            permits.append((yield semaphore()))
        yield {user("queued")}
        yield
        assert semaphore.available == 0
        yield {user("newcomer")}  # its acquisition is ready to run *before* the queued one is woken below
        permits[0].__exit__(None, None, None)
        assert semaphore.available == 0  # handed straight to "queued", not put back
        for _ in range(5):
            yield
        for permit in permits[1:]:
            permit.__exit__(None, None, None)

    tinyio.Loop().run(holders())
    assert order == ["queued", "newcomer"]
    assert semaphore.available == value


# ----------------------------------------------------------------------------------------------------- abandon
@pytest.mark.spec("sync/abandon")
def test_queued_waiters_cancelled_by_a_crash_give_up_their_place() -> None:
    semaphore = tinyio.Semaphore(2)

    def waiter() -> Coro:
        with (yield semaphore()):
            yield

    def main() -> Coro:
        with (yield semaphore()), (yield semaphore()):
            yield {waiter(), waiter(), waiter()}
            for _ in range(5):
                yield
            raise RuntimeError("crash")

    crash_run(main())
    assert semaphore.available == 2
    assert "0 waiting" in repr(semaphore)

    def both() -> Coro:
        yield [semaphore(), semaphore()]
        return "both permits free"

    assert tinyio.Loop().run(both()) == "both permits free"


@pytest.mark.spec("sync/abandon", "sync/no-leak")
def test_permit_handed_to_a_waiter_that_is_cancelled_before_resuming_is_passed_on() -> None:
    lock = tinyio.Lock()
    log: list[str] = []

    def waiter() -> Coro:
        with (yield lock()):
            log.append("waiter got it")  # never happens: the crash comes before it resumes

    def main() -> Coro:
        permit = yield lock()
        yield {waiter()}
        for _ in range(3):
            yield
        permit.__exit__(None, None, None)  # hands the lock to waiter, which has not resumed yet
        raise RuntimeError("crash")

    crash_run(main())
    assert log == []
    assert lock.available == 1


@pytest.mark.spec("sync/abandon")
def test_closing_a_queued_acquisition_gives_up_its_place() -> None:
    lock = tinyio.Lock()

    def main() -> Coro:
        with (yield lock()):
            acquisition = lock()
            next(acquisition)  # queues (driven by hand, outside the loop)
            acquisition.close()
        return lock.available

    assert tinyio.Loop().run(main()) == 1


@pytest.mark.internals
@pytest.mark.spec("sync/abandon")
def test_many_abandoned_entries_are_compacted_and_skipped() -> None:
    lock = tinyio.Lock()

    def main() -> Coro:
        with (yield lock()):
            for _ in range(500):
                acquisition = lock()
                next(acquisition)
                acquisition.close()
            assert len(lock._waiters) <= 200  # dead entries never pile up without bound
            yield {late()}
            yield
        return "ok"

    got: list[str] = []

    def late() -> Coro:
        with (yield lock()):
            got.append("late")

    assert tinyio.Loop().run(main()) == "ok"
    assert got == ["late"]
    assert lock.available == 1


# ----------------------------------------------------------------------------------------------------- no-leak
@pytest.mark.spec("sync/no-leak")
def test_permit_released_when_with_block_raises() -> None:
    semaphore = tinyio.Semaphore(1)

    def main() -> Coro:
        try:
            with (yield semaphore()):
                raise KeyError("inside")
        except KeyError:
            pass
        return semaphore.available

    assert tinyio.Loop().run(main()) == 1


@pytest.mark.spec("sync/no-leak")
def test_released_permit_cannot_be_entered_again_and_releases_once() -> None:
    semaphore = tinyio.Semaphore(2)

    def main() -> Coro:
        permit = yield semaphore()
        with permit:
            pass
        with pytest.raises(RuntimeError, match="already released"):
            with permit:
                pass
        permit.__exit__(None, None, None)  # a second exit must not add a permit
        return semaphore.available

    assert tinyio.Loop().run(main()) == 2


@pytest.mark.spec("sync/no-leak")
def test_unentered_permit_comes_back_when_dropped_after_the_run() -> None:
    semaphore = tinyio.Semaphore(1)

    def main() -> Coro:
        yield semaphore()
        return semaphore.available

    assert tinyio.Loop().run(main()) == 0
    gc.collect()
    assert semaphore.available == 1


@pytest.mark.spec("sync/no-leak")
def test_permit_returned_by_a_crash_goes_to_a_waiter_of_another_run() -> None:
    lock = tinyio.Lock()

    def holder() -> Coro:
        with (yield lock()):
            yield
            raise RuntimeError("crash")

    crash_run(holder())
    assert tinyio.Loop().run(lock()) is not None


# --------------------------------------------------------------------------------------------------- available
@pytest.mark.spec("sync/available")
def test_available_counts_free_permits_only() -> None:
    semaphore = tinyio.Semaphore(3)
    seen: list[int] = []

    waiter_in = tinyio.Event()

    def waiter() -> Coro:
        with (yield semaphore()):
            seen.append(semaphore.available)
            waiter_in.set()

    def main() -> Coro:
        seen.append(semaphore.available)
        a = yield semaphore()
        b = yield semaphore()
        c = yield semaphore()
        seen.append(semaphore.available)
        yield {waiter()}
        yield
        a.__exit__(None, None, None)  # handed to the waiter: still none available
        seen.append(semaphore.available)
        b.__exit__(None, None, None)
        seen.append(semaphore.available)
        yield waiter_in.wait()
        c.__exit__(None, None, None)

    tinyio.Loop().run(main())
    assert seen == [3, 0, 0, 1, 1]
    assert semaphore.available == 3


# ----------------------------------------------------------------------------------------------------- threads
@pytest.mark.spec("sync/threads", "sync/limit")
def test_lock_shared_by_loops_in_threads_excludes_them() -> None:
    lock = tinyio.Lock()
    inside = [0]
    peak = [0]
    start = threading.Barrier(4)

    def worker() -> Coro:
        yield tinyio.run_in_thread(start.wait)
        for _ in range(200):
            with (yield lock()):
                inside[0] += 1
                peak[0] = max(peak[0], inside[0])
                yield
                inside[0] -= 1

    errors: list[BaseException] = []

    def run() -> None:
        try:
            tinyio.Loop().run(worker())
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert peak[0] == 1
    assert lock.available == 1


@pytest.mark.spec("sync/threads", "barrier/release")
def test_barrier_shared_by_loops_in_threads() -> None:
    barrier = tinyio.Barrier(3)
    results: list[int] = []

    def run() -> None:
        def main() -> Coro:
            return (yield barrier.wait())

        results.append(tinyio.Loop().run(main()))

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [0, 1, 2]


# ----------------------------------------------------------------------------------------------------- barrier
@pytest.mark.spec("barrier/release")
def test_barrier_holds_until_the_group_is_complete() -> None:
    barrier = tinyio.Barrier(3)
    log: list[str] = []

    def worker(name: str, delay: int) -> Coro:
        for _ in range(delay):
            yield
        log.append(f"{name} arrives")
        yield barrier.wait()
        log.append(f"{name} passes")

    def main() -> Coro:
        yield [worker("a", 0), worker("b", 5), worker("c", 10)]

    tinyio.Loop().run(main())
    assert log.index("c arrives") < min(log.index("a passes"), log.index("b passes"))
    # the coroutines that waited are woken in the order they arrived
    assert log.index("a passes") < log.index("b passes")


@pytest.mark.spec("barrier/release")
def test_barrier_of_one_never_waits() -> None:
    barrier = tinyio.Barrier(1)

    def main() -> Coro:
        indices = []
        for _ in range(3):
            indices.append((yield barrier.wait()))
        return indices

    assert tinyio.Loop().run(main()) == [0, 0, 0]


@pytest.mark.spec("barrier/index")
def test_indices_follow_arrival_order() -> None:
    barrier = tinyio.Barrier(4)

    def worker(delay: int) -> Coro:
        for _ in range(delay):
            yield
        return (yield barrier.wait())

    def main() -> Coro:
        return (yield [worker(3), worker(0), worker(9), worker(1)])

    assert tinyio.Loop().run(main()) == [2, 0, 3, 1]


@pytest.mark.spec("barrier/cyclic")
def test_barrier_starts_over_for_each_group() -> None:
    barrier = tinyio.Barrier(2)
    rounds: list[list[int]] = [[], [], []]

    def worker() -> Coro:
        for r in range(3):
            rounds[r].append((yield barrier.wait()))

    def main() -> Coro:
        yield [worker(), worker()]

    tinyio.Loop().run(main())
    assert [sorted(r) for r in rounds] == [[0, 1]] * 3
    assert "0 of 2 waiting" in repr(barrier)


@pytest.mark.spec("barrier/cyclic")
def test_extra_arrivals_wait_for_the_next_group() -> None:
    barrier = tinyio.Barrier(2)
    passed: list[int] = []

    def worker(i: int) -> Coro:
        yield barrier.wait()
        passed.append(i)

    def main() -> Coro:
        yield {worker(0), worker(1), worker(2)}
        for _ in range(10):
            yield
        assert len(passed) == 2  # the third waits for a partner
        yield barrier.wait()

    tinyio.Loop().run(main())
    assert sorted(passed) == [0, 1, 2]


@pytest.mark.spec("barrier/abandon")
def test_cancelled_arrival_does_not_count() -> None:
    barrier = tinyio.Barrier(2)

    def leaver() -> Coro:
        yield barrier.wait()

    def main() -> Coro:
        yield {leaver()}
        yield
        raise RuntimeError("crash")

    crash_run(main())
    assert "0 of 2 waiting" in repr(barrier)

    def pair() -> Coro:
        return (yield [barrier.wait(), barrier.wait()])

    assert tinyio.Loop().run(pair()) == [0, 1]


@pytest.mark.spec("barrier/abandon")
def test_closed_arrival_does_not_count() -> None:
    barrier = tinyio.Barrier(2)
    waiting = barrier.wait()
    next(waiting)
    assert "1 of 2 waiting" in repr(barrier)
    waiting.close()
    assert "0 of 2 waiting" in repr(barrier)


# ------------------------------------------------------------------------------------------- with tinyio.timeout
@pytest.mark.spec("sync/abandon", "timeout/stops")
def test_queued_waiter_that_times_out_gives_up_its_place() -> None:
    lock = tinyio.Lock()
    order: list[str] = []

    def user(name: str) -> Coro:
        with (yield lock()):
            order.append(name)

    def main() -> Coro:
        with (yield lock()):
            impatient = tinyio.timeout(user("impatient"), 1)
            yield {impatient}
            yield
            yield {user("patient")}
            yield
            got = yield impatient  # times out while queued, before "patient"
        yield tinyio.sleep(1)
        return got

    assert tinyio.Loop(clock=tinyio.testing.VirtualClock()).run(main()) == (None, False)
    assert order == ["patient"]
    assert lock.available == 1


@pytest.mark.timeout(60)  # time moves only by advance(): a failure would wait forever
@pytest.mark.spec("sync/abandon", "sync/no-leak", "timeout/stops")
def test_waiter_handed_the_lock_then_timed_out_passes_it_on() -> None:
    # advance() moves time past the impatient waiter's deadline in the same step that hands it the lock, so the
    # deadline is noticed after the hand-over and before the waiter resumes.
    clock = tinyio.testing.VirtualClock(autojump=False)
    lock = tinyio.Lock()
    order: list[str] = []

    def user(name: str) -> Coro:
        with (yield lock()):
            order.append(name)

    def main() -> Coro:
        permit = yield lock()
        impatient = tinyio.timeout(user("impatient"), 1)
        yield {impatient}
        yield
        yield {user("patient")}
        for _ in range(3):
            yield
        permit.__exit__(None, None, None)  # handed to "impatient", which has not resumed yet
        clock.advance(5)
        got = yield impatient
        for _ in range(10):
            yield
        return got

    assert tinyio.Loop(clock=clock).run(main()) == (None, False)
    assert order == ["patient"]
    assert lock.available == 1


@pytest.mark.spec("barrier/abandon", "timeout/stops")
def test_arrival_that_times_out_does_not_count() -> None:
    barrier = tinyio.Barrier(2)

    def main() -> Coro:
        first = yield tinyio.timeout(barrier.wait(), 1)
        second = yield [barrier.wait(), barrier.wait()]
        return first, second

    assert tinyio.Loop(clock=tinyio.testing.VirtualClock()).run(main()) == ((None, False), [0, 1])
