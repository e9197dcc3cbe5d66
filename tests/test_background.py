"""Background coroutines (spec/background.rst): background/*."""

from __future__ import annotations

from typing import Any

import pytest

import tinyio
from _support import record

spec = pytest.mark.spec


@spec("background/start")
def test_background_children_start_before_the_spawner_resumes_with_none() -> None:
    trace: list[Any] = []

    def main():
        trace.append("main")
        got = yield {record(trace, "a", 2), record(trace, "b", 2)}
        trace.append(("main resumed with", got))

    def other():
        trace.append("other")
        yield
        trace.append("other again")

    def root():
        yield [main(), other()]

    tinyio.Loop().run(root())
    # other was ready first; then the children (in some order), then main
    assert trace[:2] == ["main", "other"]
    assert sorted(trace[2:4]) == ["a", "b"]
    assert trace[4] == ("main resumed with", None)
    assert trace[5] == "other again"


@spec("background/start", "inv/start-once")
def test_background_skips_coroutines_already_running_or_finished() -> None:
    starts: list[str] = []

    def child(name: str):
        starts.append(name)
        yield
        return name

    def main():
        running, finished = child("running"), child("finished")
        assert (yield finished) == "finished"
        yield {running}
        yield {running, finished}  # neither is started again
        return (yield running)

    assert tinyio.Loop().run(main()) == "running"
    assert starts == ["finished", "running"]


@spec("background/run-waits", "sched/run-until-all")
def test_run_returns_only_after_nested_background_work() -> None:
    trace: list[str] = []

    def grandchild():
        yield tinyio.sleep(0)
        yield
        trace.append("grandchild")

    def child():
        yield {grandchild()}
        trace.append("child")

    def main():
        yield {child()}
        trace.append("main")
        return "main"

    assert tinyio.Loop().run(main()) == "main"
    assert trace == ["main", "child", "grandchild"]


@spec("background/errors", "errors/crash")
def test_an_error_in_a_background_coroutine_crashes_the_loop() -> None:
    trace: list[str] = []

    def failing():
        yield
        raise ValueError("in the background")

    def main():
        yield {failing()}
        try:
            while True:
                yield
        except tinyio.CancelledError:
            trace.append("main cancelled")
            raise

    with pytest.raises(ValueError, match="in the background"):
        tinyio.Loop().run(main())
    assert trace == ["main cancelled"]


@spec("background/await-later")
def test_a_background_coroutine_can_be_awaited_or_gathered_later() -> None:
    def child(x: int):
        yield
        yield
        return x

    def main():
        a, b = child(1), child(2)
        yield {a, b}
        first = yield a
        both = yield [a, b]
        return first, both

    assert tinyio.Loop().run(main()) == (1, [1, 2])
