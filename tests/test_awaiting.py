"""Awaiting and gathering (spec/awaiting.rst): await/*, gather/*."""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import textwrap
import weakref
from typing import Any

import pytest

import tinyio
from _support import immediately, record, returning

spec = pytest.mark.spec


@spec("await/start")
def test_an_awaited_coroutine_starts_at_the_back_of_the_queue() -> None:
    trace: list[str] = []

    def child():
        trace.append("child")
        yield
        return "child result"

    def waiter():
        trace.append("waiter")
        result = yield child()
        trace.append(f"waiter got {result}")

    def main():
        yield [waiter(), record(trace, "other", 3)]

    tinyio.Loop().run(main())
    assert trace == ["waiter", "other", "child", "other:1", "other:2", "waiter got child result"]


@spec("await/result")
def test_the_waiter_resumes_with_exactly_the_returned_object() -> None:
    sentinel = object()

    def main():
        got = yield returning(sentinel)
        assert got is sentinel
        none = yield immediately(None)
        return got, none

    got, none = tinyio.Loop().run(main())
    assert got is sentinel and none is None


@spec("await/shared", "inv/start-once")
def test_a_coroutine_awaited_by_several_waiters_runs_once() -> None:
    starts: list[str] = []
    trace: list[Any] = []

    def shared():
        starts.append("shared")
        yield
        yield
        return "shared result"

    child = shared()

    def waiter(name: str):
        trace.append(("wait", name))
        result = yield child
        trace.append((name, result))

    def main():
        yield [waiter("first"), waiter("second"), waiter("third")]

    tinyio.Loop().run(main())
    assert starts == ["shared"]
    assert trace == [
        ("wait", "first"), ("wait", "second"), ("wait", "third"),
        ("first", "shared result"), ("second", "shared result"), ("third", "shared result"),
    ]  # fmt: skip


@spec("await/finished")
def test_a_finished_coroutine_gives_its_result_again() -> None:
    starts: list[int] = []

    def child():
        starts.append(1)
        yield
        return [1, 2]

    def main():
        c = child()
        first = yield c
        second = yield c
        third = yield [c, c]
        return first, second, third

    first, second, third = tinyio.Loop().run(main())
    assert starts == [1]
    assert first is second and third == [first, first]


@spec("await/finished")
def test_a_finished_coroutine_that_nothing_else_refers_to_is_freed_before_the_run_ends() -> None:
    """A long-running loop does not grow with the coroutines it has finished (reference counting alone, no collector)."""
    made: list[weakref.ref[Any]] = []

    def child(i: int):
        yield
        return i

    def tracked(i: int):
        coro = child(i)
        made.append(weakref.ref(coro))
        return coro

    def main():
        total = 0
        for i in range(300):
            total += yield tracked(i)  # awaited
            total += sum((yield [tracked(i), tracked(i)]))  # gathered
            yield {tracked(i)}  # in the background
        for _ in range(3):
            yield  # the last background ones finish
        freed = sum(ref() is None for ref in made)
        kept = tracked(-1)  # one the program holds: its result stays fetchable
        first = yield kept
        again = yield [kept, kept]
        return total, freed, first, again

    was_enabled = gc.isenabled()
    gc.disable()
    try:
        total, freed, first, again = tinyio.Loop().run(main())
    finally:
        if was_enabled:
            gc.enable()
    assert total == 3 * sum(range(300))
    assert freed == 4 * 300
    assert first == -1 and again == [-1, -1]


@spec("gather/order", "inv/waiter-after-children")
def test_gather_results_are_in_list_order_whatever_the_finishing_order() -> None:
    finished: list[int] = []

    def child(i: int, steps: int):
        for _ in range(steps):
            yield
        finished.append(i)
        return i * 10

    def main():
        return (yield [child(0, 5), child(1, 1), child(2, 3), child(3, 0)])

    assert tinyio.Loop().run(main()) == [0, 10, 20, 30]
    assert finished == [3, 1, 2, 0]


@spec("gather/start")
def test_gathered_children_start_in_list_order_before_later_work() -> None:
    trace: list[str] = []

    def main():
        trace.append("main")
        yield [record(trace, "a"), record(trace, "b"), record(trace, "c")]
        trace.append("main again")

    def other():
        trace.append("other")
        yield
        trace.append("other again")
        yield

    def root():
        yield [main(), other()]

    tinyio.Loop().run(root())
    # other was ready before the children were created; the children go after it, in list order
    assert trace[:5] == ["main", "other", "a", "b", "c"]
    assert trace.index("main again") > trace.index("c")


@spec("gather/shared", "inv/start-once")
def test_gather_joins_running_children_and_uses_finished_results() -> None:
    starts: list[str] = []

    def child(name: str, steps: int):
        starts.append(name)
        for _ in range(steps):
            yield
        return name

    running = child("running", 3)
    finished = child("finished", 0)
    fresh = child("fresh", 1)

    def other():
        return (yield running)

    def main():
        assert (yield finished) == "finished"
        yield {other()}  # starts `other`, which starts `running`
        yield  # let `running` start
        return (yield [running, finished, fresh])

    assert tinyio.Loop().run(main()) == ["running", "finished", "fresh"]
    assert sorted(starts) == ["finished", "fresh", "running"]


@spec("gather/duplicates", "inv/start-once")
def test_the_same_coroutine_twice_in_a_list_runs_once() -> None:
    starts: list[int] = []

    def child():
        starts.append(1)
        yield
        return object()

    def main():
        c = child()
        results = yield [c, c, c]
        return results

    results = tinyio.Loop().run(main())
    assert starts == [1]
    assert len(results) == 3 and results[0] is results[1] is results[2]


@spec("gather/empty")
def test_yielding_an_empty_list_resumes_with_an_empty_list() -> None:
    def main():
        result = yield []
        return result

    result = tinyio.Loop().run(main())
    assert result == [] and type(result) is list


@spec("gather/snapshot")
def test_the_gathered_list_is_copied_when_yielded() -> None:
    children: list[Any] = []

    def mutator(result: list[str]):
        yield
        children.clear()
        children.append(immediately("added later"))
        result.append("mutated")
        return "mutator"

    def main():
        result: list[str] = []
        children.extend([mutator(result), returning("b")])
        got = yield children
        return got, result

    got, result = tinyio.Loop().run(main())
    assert got == ["mutator", "b"] and result == ["mutated"]


@spec("gather/snapshot")
def test_a_result_list_is_new_each_time() -> None:
    def main():
        c = immediately(1)
        first = yield [c]
        second = yield [c]
        first.append("mine")
        return second

    assert tinyio.Loop().run(main()) == [1]


@spec("gather/subclass")
def test_a_list_subclass_gathers_and_a_frozenset_backgrounds() -> None:
    class MyList(list):  # type: ignore[type-arg]
        pass

    trace: list[str] = []

    def main():
        results = yield MyList([returning(1), returning(2)])
        yield frozenset({record(trace, "background", 2)})
        trace.append("after frozenset")
        return results

    assert tinyio.Loop().run(main()) == [1, 2]
    assert trace == ["background", "after frozenset", "background:1"]


def run_untraced(source: str) -> str:
    """Run ``source`` in a fresh interpreter, outside the coverage tracer (which would make it several times slower)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COV_CORE", "COVERAGE_"))}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source)], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


@spec("gather/scale")
@pytest.mark.slow
def test_gather_of_a_million_children() -> None:
    out = run_untraced(
        """
        import tinyio

        def child(i):
            return i
            yield

        def main():
            results = yield [child(i) for i in range(1_000_000)]
            print(len(results), results[0], results[-1], sum(results))

        tinyio.Loop().run(main())
        """
    )
    n = 1_000_000
    assert out == f"{n} 0 {n - 1} {n * (n - 1) // 2}"


@spec("gather/scale")
@pytest.mark.slow
def test_a_chain_a_million_deep() -> None:
    out = run_untraced(
        """
        import sys, tinyio

        def link(i):
            if i == 0:
                return 0
            return (yield link(i - 1)) + 1

        print(tinyio.Loop().run(link(1_000_000)), sys.getrecursionlimit())
        """
    )
    depth, limit = map(int, out.split())
    assert depth == 1_000_000 and depth > 10 * limit


@spec("gather/scale")
def test_a_deep_chain_of_gathers() -> None:
    depth = 20_000  # deeper than the recursion limit; the million-deep chain above covers the scale

    def link(i: int):
        if i == 0:
            return 0
        (below,) = yield [link(i - 1)]
        return below + 1

    assert depth > sys.getrecursionlimit()
    assert tinyio.Loop().run(link(depth)) == depth
