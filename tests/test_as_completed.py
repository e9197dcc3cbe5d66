"""tinyio.as_completed (spec/completion-order.rst)."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

import tinyio
import tinyio.testing

Coro = Generator[Any, Any, Any]


def steps(count: int, log: list[Any] | None = None) -> Coro:
    for _ in range(count):
        yield
    if log is not None:
        log.append(count)
    return count


def virtual() -> tinyio.Loop:
    return tinyio.Loop(clock=tinyio.testing.VirtualClock())


@pytest.mark.spec("as-completed/start")
def test_everything_starts_before_the_caller_resumes() -> None:
    log: list[str] = []

    def job(name: str) -> Coro:
        log.append(name)
        yield

    def main() -> Coro:
        results = yield tinyio.as_completed({job(str(i)) for i in range(5)})
        log.append("caller")
        return len(list(results))

    assert virtual().run(main()) == 5
    assert sorted(log[:5]) == ["0", "1", "2", "3", "4"] and log[5] == "caller"


@pytest.mark.spec("as-completed/start")
def test_running_and_finished_coroutines_are_joined_not_restarted() -> None:
    log: list[Any] = []

    def main() -> Coro:
        running, finished = steps(5, log), steps(0, log)
        yield {running}
        yield finished
        got = []
        for next_done in (yield tinyio.as_completed({running, finished})):
            got.append((yield next_done))
        return got

    assert virtual().run(main()) == [0, 5]
    assert log == [0, 5]  # each ran once


@pytest.mark.spec("as-completed/start", "errors/crash")
def test_a_failure_crashes_the_loop() -> None:
    def failing() -> Coro:
        yield
        raise ValueError("boom")

    def main() -> Coro:
        for next_done in (yield tinyio.as_completed({failing(), steps(10)})):
            yield next_done

    with pytest.raises(ValueError, match="boom"):
        virtual().run(main())


@pytest.mark.spec("as-completed/order")
def test_results_come_in_finishing_order() -> None:
    clock = tinyio.testing.VirtualClock()

    def job(seconds: float) -> Coro:
        yield tinyio.sleep(seconds)
        return seconds

    def main() -> Coro:
        got = []
        for next_done in (yield tinyio.as_completed({job(s) for s in [5, 1, 4, 2, 3]})):
            got.append(((yield next_done), clock.now()))
        return got

    assert tinyio.Loop(clock=clock).run(main()) == [(s, float(s)) for s in [1, 2, 3, 4, 5]]


@pytest.mark.spec("as-completed/order")
def test_kth_handed_out_gives_kth_result_whatever_order_they_are_awaited_in() -> None:
    def main() -> Coro:
        handed = list((yield tinyio.as_completed([steps(30), steps(10), steps(20)])))
        last = yield handed[2]
        first = yield handed[0]
        both = yield [handed[1], handed[0]]
        return last, first, both

    assert virtual().run(main()) == (30, 10, [20, 10])


@pytest.mark.spec("as-completed/order")
def test_empty_input_gives_an_empty_iterator() -> None:
    def main() -> Coro:
        return list((yield tinyio.as_completed(set())))

    assert virtual().run(main()) == []


@pytest.mark.spec("as-completed/duplicates")
def test_duplicates_count_once_and_lists_are_accepted() -> None:
    def main() -> Coro:
        a, b = steps(2), steps(1)
        got = []
        for next_done in (yield tinyio.as_completed([a, b, a, b, a])):
            got.append((yield next_done))
        return got

    assert virtual().run(main()) == [1, 2]


@pytest.mark.spec("as-completed/bad-input")
@pytest.mark.parametrize("bad", [42, "ab", None, [1], [steps], (x for x in [])])
def test_bad_input_raises_at_call_time_and_nothing_starts(bad: object) -> None:
    with pytest.raises(TypeError, match="as_completed"):
        tinyio.as_completed(bad)  # type: ignore[arg-type]


@pytest.mark.spec("as-completed/bad-input")
def test_a_bad_element_stops_everything_from_starting() -> None:
    log: list[Any] = []
    good = steps(1, log)
    with pytest.raises(TypeError, match="not a coroutine"):
        tinyio.as_completed([good, 3])  # type: ignore[list-item]
    assert good.gi_frame is not None and not good.gi_suspended  # never started


@pytest.mark.spec("as-completed/unconsumed")
def test_unconsumed_results_still_run_and_run_waits_for_them() -> None:
    log: list[Any] = []

    def main() -> Coro:
        yield tinyio.as_completed({steps(1, log), steps(50, log), steps(100, log)})
        return "returned before they finished"

    assert virtual().run(main()) == "returned before they finished"
    assert sorted(log) == [1, 50, 100]
