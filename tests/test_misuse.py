"""Misuse gets a clear error that names the fix, and the loop stays usable (spec/misuse.rst): misuse/*."""

from __future__ import annotations

import threading
import warnings
from typing import Any

import pytest

import tinyio
from _support import immediately, record

spec = pytest.mark.spec


def still_usable(loop: tinyio.Loop) -> None:
    """spec: inv/reusable — after any misuse the same loop runs a fresh coroutine normally."""
    trace: list[str] = []
    assert loop.run(record(trace, "fresh", 2, result="ok")) == "ok"
    assert trace == ["fresh", "fresh:1"]


def gen_function():
    yield
    return "value"


async def async_function() -> str:
    return "never"


def started_generator():
    g = gen_function()
    next(g)
    return g


def finished_generator():
    g = immediately(1)
    with pytest.raises(StopIteration):
        next(g)
    return g


# ----------------------------------------------------------------------------------------------- run argument


@spec("misuse/run-argument", "inv/reusable")
@pytest.mark.parametrize(
    "bad, fix",
    [
        (5, "coroutine"),
        (None, "coroutine"),
        ([gen_function], "coroutine"),
        (gen_function, "call it"),
        (lambda: None, "call it"),
    ],
)
def test_run_with_something_that_is_not_a_generator_is_a_type_error(bad: Any, fix: str) -> None:
    loop = tinyio.Loop()
    with pytest.raises(TypeError, match=fix):
        loop.run(bad)
    with pytest.raises(TypeError, match=fix):
        with loop.runtime(bad, exception_group=None):
            pass  # pragma: no cover
    still_usable(loop)


@spec("misuse/run-argument", "misuse/async-def")
def test_run_with_an_async_def_coroutine_points_to_from_asyncio() -> None:
    loop = tinyio.Loop()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "coroutine was never awaited" on top of our error
        with pytest.raises(TypeError, match="from_asyncio"):
            loop.run(async_function())
    still_usable(loop)


@spec("misuse/run-argument", "misuse/started-elsewhere")
@pytest.mark.parametrize("make, words", [(started_generator, "already started"), (finished_generator, "finished")])
def test_run_with_a_generator_in_the_wrong_state_is_a_runtime_error(make: Any, words: str) -> None:
    loop = tinyio.Loop()
    gen = make()
    with pytest.raises(RuntimeError, match=words) as info:
        loop.run(gen)
    assert "gen_function" in str(info.value) or "immediately" in str(info.value)
    still_usable(loop)


@spec("misuse/run-argument")
def test_run_with_a_generator_that_is_running_right_now() -> None:
    loop = tinyio.Loop()

    def itself():
        with pytest.raises(RuntimeError, match="running right now"):
            tinyio.Loop().run(me)
        yield
        return "survived"

    me = itself()
    assert loop.run(me) == "survived"
    still_usable(loop)


# -------------------------------------------------------------------------------------------------- reentrant


@spec("misuse/reentrant")
def test_run_on_a_running_loop_from_its_coroutine_names_the_fix() -> None:
    loop = tinyio.Loop()

    def main():
        with pytest.raises(RuntimeError, match=r"already running.*new tinyio.Loop\(\)"):
            loop.run(gen_function())
        yield
        return "fine"

    assert loop.run(main()) == "fine"
    still_usable(loop)


@spec("misuse/reentrant")
def test_run_on_a_running_loop_from_another_thread() -> None:
    loop = tinyio.Loop()
    errors: list[BaseException] = []

    def other_thread():
        try:
            loop.run(gen_function())
        except RuntimeError as error:
            errors.append(error)

    def main():
        yield tinyio.run_in_thread(other_thread)
        return "fine"

    assert loop.run(main()) == "fine"
    assert len(errors) == 1 and "already running" in str(errors[0])
    still_usable(loop)


# --------------------------------------------------------------------------------------------- bad yields


def catch_at_yield(thing_factory: Any) -> BaseException:
    """Run a coroutine that yields ``thing_factory()`` and catches what the loop raises at that yield."""
    caught: list[BaseException] = []

    def main():
        try:
            yield thing_factory()
        except (TypeError, RuntimeError) as error:
            caught.append(error)
        yield
        return "carried on"

    loop = tinyio.Loop()
    assert loop.run(main()) == "carried on"
    still_usable(loop)
    assert len(caught) == 1
    return caught[0]


@spec("misuse/at-yield", "misuse/yield")
@pytest.mark.parametrize("thing", [5, "text", object(), {"a": 1}, 3.0, Ellipsis])
def test_yielding_anything_else_is_a_type_error_listing_what_may_be_yielded(thing: Any) -> None:
    error = catch_at_yield(lambda: thing)
    assert type(error) is TypeError
    for word in ("None", "coroutine", "list", "set"):
        assert word in str(error)


@spec("misuse/at-yield", "errors/crash")
def test_uncaught_misuse_crashes_the_loop_like_any_error() -> None:
    trace: list[str] = []

    def bystander():
        try:
            while True:
                yield
        except tinyio.CancelledError:
            trace.append("cancelled")
            raise

    def bad():
        yield
        yield 42

    def main():
        yield [bystander(), bad()]

    loop = tinyio.Loop()
    with pytest.raises(TypeError):
        loop.run(main())
    assert trace == ["cancelled"]
    still_usable(loop)


@spec("misuse/tuple")
def test_yielding_a_tuple_says_use_a_list() -> None:
    error = catch_at_yield(lambda: (gen_function(), gen_function()))
    assert type(error) is TypeError and "list" in str(error)


@spec("misuse/async-def")
@pytest.mark.parametrize("shape", ["alone", "list", "set"])
def test_yielding_an_async_def_coroutine_points_to_from_asyncio(shape: str) -> None:
    def make():
        coro = async_function()
        return {"alone": coro, "list": [gen_function(), coro], "set": {coro}}[shape]

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # closed by the loop: no "never awaited" warning
        error = catch_at_yield(make)
    assert type(error) is TypeError and "from_asyncio" in str(error)


@spec("misuse/element")
@pytest.mark.parametrize("bad", [5, None, "x", gen_function])
def test_a_bad_list_element_names_its_index_and_nothing_of_the_list_starts(bad: Any) -> None:
    started: list[str] = []

    def good(name: str):
        started.append(name)
        yield

    error = catch_at_yield(lambda: [good("first"), good("second"), bad])
    assert type(error) is TypeError and "element 2" in str(error)
    assert started == []


@spec("misuse/element")
def test_a_bad_set_element_starts_nothing() -> None:
    started: list[str] = []

    def good(name: str):
        started.append(name)
        yield

    error = catch_at_yield(lambda: {good("first"), 5})
    assert type(error) is TypeError
    assert started == []


@spec("misuse/started-elsewhere")
@pytest.mark.parametrize("shape", ["alone", "list", "set"])
@pytest.mark.parametrize("make, words", [(started_generator, "already started"), (finished_generator, "finished")])
def test_yielding_a_generator_started_or_finished_elsewhere_names_it(shape: str, make: Any, words: str) -> None:
    def thing():
        gen = make()
        return {"alone": gen, "list": [gen], "set": {gen}}[shape]

    error = catch_at_yield(thing)
    assert type(error) is RuntimeError
    assert words in str(error)
    assert "gen_function" in str(error) or "immediately" in str(error)


@spec("misuse/other-loop", "nesting/one-loop")
def test_awaiting_a_coroutine_that_another_running_loop_started() -> None:
    def child():
        yield
        yield

    shared = child()

    def inner():
        yield shared

    def outer():
        yield {shared}
        yield
        loop = tinyio.Loop()
        with pytest.raises(RuntimeError, match="another running Loop"):
            loop.run(inner())
        with pytest.raises(RuntimeError, match="another running Loop"):
            loop.run(shared)
        still_usable(loop)

    tinyio.Loop().run(outer())


# ----------------------------------------------------------------------------------------------------- cycles


@spec("misuse/cycle")
def test_awaiting_itself_is_a_runtime_error_naming_it() -> None:
    me: list[Any] = []

    def narcissist():
        yield
        yield me[0]

    me.append(narcissist())

    def main():
        try:
            yield me[0]
        except tinyio.CancelledError:
            raise

    loop = tinyio.Loop()
    with pytest.raises(RuntimeError, match="narcissist.*itself"):
        loop.run(main())
    still_usable(loop)


@spec("misuse/cycle")
def test_a_cycle_of_waiters_is_caught_at_the_yield_that_closes_it() -> None:
    coros: dict[str, Any] = {}
    messages: list[str] = []

    def first_in_cycle():
        return (yield coros["b"])

    def second_in_cycle():
        yield
        return (yield coros["c"])

    def third_in_cycle():
        yield
        yield
        try:
            return (yield coros["a"])  # a -> b -> c -> a
        except RuntimeError as error:
            messages.append(str(error))
            return "broke the cycle"

    coros.update(a=first_in_cycle(), b=second_in_cycle(), c=third_in_cycle())

    def main():
        return (yield coros["a"])

    assert tinyio.Loop().run(main()) == "broke the cycle"
    assert len(messages) == 1
    for name in ("first_in_cycle", "second_in_cycle", "third_in_cycle"):
        assert name in messages[0]


@spec("misuse/cycle", "inv/one-cancel")
def test_an_uncaught_cycle_cancels_everything() -> None:
    coros: dict[str, Any] = {}
    trace: list[str] = []

    def left():
        try:
            yield
            return (yield coros["right"])
        except tinyio.CancelledError:
            trace.append("left cancelled")
            raise

    def right():
        try:
            yield [coros["left"]]  # right -> left; left then awaits right: closes the cycle through a gather
        except tinyio.CancelledError:
            trace.append("right cancelled")
            raise

    coros.update(left=left(), right=right())

    def main():
        try:
            yield [coros["left"], coros["right"]]
        except tinyio.CancelledError:
            trace.append("main cancelled")
            raise

    with pytest.raises(RuntimeError, match="cycle") as info:
        tinyio.Loop().run(main())
    assert "left" in str(info.value) and "right" in str(info.value)
    # left's yield closed the cycle: the error was raised there, uncaught; the others were cancelled
    assert trace == ["right cancelled", "main cancelled"]


@spec("misuse/cycle")
def test_a_shared_child_is_not_a_cycle() -> None:
    def leaf():
        yield
        return 1

    shared = leaf()

    def a():
        return (yield shared)

    def b():
        return (yield [shared, shared])

    def main():
        return (yield [a(), b(), shared])

    assert tinyio.Loop().run(main()) == [1, [1, 1], 1]
