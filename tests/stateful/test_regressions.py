"""Failures the state machines found, kept as explicit tests (each names the rule it broke)."""

from __future__ import annotations

from typing import Any

import pytest

import tinyio
import tinyio.testing


@pytest.mark.spec("background/start", "misuse/cycle")
def test_spawning_a_running_coroutine_is_left_alone_not_a_cycle() -> None:
    # Found by the state machine: `yield {me}` (or `{parent}`) raised "awaits itself" although a set waits for
    # nothing. background/start: elements already running are left alone.
    log = []

    def child(parent_box: list[object]) -> tinyio.Coro[str]:
        yield {parent_box[0]}  # the parent waits on us; spawning it must not be a cycle
        log.append("child resumed")
        return "child"

    def main() -> tinyio.Coro[object]:
        me = box[0]
        yield {me}
        log.append("main resumed")
        return (yield child(box))

    box: list[object] = []
    coro = main()
    box.append(coro)
    assert tinyio.Loop().run(coro) == "child"
    assert log == ["main resumed", "child resumed"]


def _started_meanwhile(scope: Any) -> tuple[object, list[object]]:
    """Run ``scope(c)`` (a timeout or an isolate of ``c``) while another coroutine starts ``c`` after the scope has
    opened but before the scope's turn to start it; returns both results and the steps ``c`` took."""
    steps: list[object] = []

    def child() -> tinyio.Coro[str]:
        for i in range(3):
            steps.append(i)
            steps.append((yield))
        return "child"

    def scoped(c: tinyio.Coro[str]) -> tinyio.Coro[object]:
        return (yield scope(c))

    def starter(c: tinyio.Coro[str]) -> tinyio.Coro[str]:
        yield  # the scope opens now
        yield {c}  # after the scope opened, before its turn to start the coroutine
        return (yield c)

    def main() -> tinyio.Coro[object]:
        c = child()
        return (yield [scoped(c), starter(c)])

    return tinyio.Loop().run(main()), steps


@pytest.mark.spec("timeout/shared")
def test_a_coroutine_started_elsewhere_before_the_timeout_runs_it_is_joined_not_driven_twice() -> None:
    # Found by the state machine: the timeout opened its scope while the coroutine was new, another coroutine then
    # started it in the background, and on its next turn the timeout ran it inline as well -- one generator with
    # two drivers, each step counted twice. Now the timeout sees it started and only bounds the wait.
    results, steps = _started_meanwhile(lambda c: tinyio.timeout(c, 10))
    assert results == [("child", True), "child"]
    assert steps == [0, None, 1, None, 2, None]


def _cleans_up_badly(name: str) -> tinyio.Coro[None]:
    try:
        yield tinyio.sleep(10)
    except tinyio.CancelledError:
        raise ValueError(name) from None


def _timeout_around_two_bad_clean_ups() -> tinyio.Coro[None]:
    def timed() -> tinyio.Coro[None]:
        yield [_cleans_up_badly("a"), _cleans_up_badly("b")]

    yield tinyio.timeout(timed(), 1)


@pytest.mark.spec("timeout/errors", "errors/group")
def test_every_error_raised_while_a_timeout_stops_coroutines_reaches_the_group() -> None:
    # Found while modelling timeouts: the first clean-up error crashed the loop and the second one was dropped.
    def main() -> tinyio.Coro[None]:
        yield from _timeout_around_two_bad_clean_ups()

    with pytest.raises(BaseExceptionGroup) as caught:
        tinyio.Loop(clock=tinyio.testing.VirtualClock()).run(main(), exception_group=None)
    assert [str(e) for e in caught.value.exceptions] == ["b", "a"]  # newest first, as cancel/order says


@pytest.mark.spec("isolate/new-coroutine")
def test_a_coroutine_started_elsewhere_before_isolate_runs_it_is_refused_not_driven_twice() -> None:
    # The race of the timeout test above, for isolate: it returned (None, True) although the coroutine returned.
    ((error, ok), result), steps = _started_meanwhile(tinyio.isolate)
    assert ok is False and isinstance(error, RuntimeError) and "already started" in str(error)
    assert result == "child"
    assert steps == [0, None, 1, None, 2, None]


@pytest.mark.spec("isolate/group", "timeout/errors")
def test_every_error_raised_while_a_timeout_inside_an_isolate_stops_coroutines_reaches_its_outcome() -> None:
    # Noticed next to the one above: with an isolate around the timeout, the second clean-up error was dropped.
    def main(mode: bool | None) -> tinyio.Coro[object]:
        return (yield tinyio.isolate(_timeout_around_two_bad_clean_ups(), exception_group=mode))

    for mode in (None, True):
        error, ok = tinyio.Loop(clock=tinyio.testing.VirtualClock()).run(main(mode))
        assert ok is False and isinstance(error, BaseExceptionGroup)
        assert [str(e) for e in error.exceptions if isinstance(e, ValueError)] == ["b", "a"]
    error, ok = tinyio.Loop(clock=tinyio.testing.VirtualClock()).run(main(False))
    assert ok is False and str(error) == "b"
