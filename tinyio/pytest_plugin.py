"""tinyio's pytest plugin: write tests as tinyio coroutines, on a virtual clock (spec: ``plugin/*``).

Installed with tinyio (entry point ``pytest11``: ``tinyio``); nothing happens unless a test asks for it.

- A test function that is a generator and is marked ``@pytest.mark.tinyio`` (on the function, its class or its module)
  runs as the main coroutine of a fresh :class:`tinyio.Loop`; it passes when the coroutine returns and fails with the
  coroutine's error, whose traceback starts at the test function (spec: ``plugin/marker``, ``plugin/traceback``).
  ``@pytest.mark.tinyio(exception_group=True)`` is passed on to :meth:`tinyio.Loop.run`.
- ``tinyio_clock`` is a fresh virtual clock that jumps straight to the next deadline when every coroutine waits, so
  ``tinyio.sleep(3600)`` takes no time (spec: ``plugin/clock-fixture``).
- ``tinyio_loop`` is a fresh :class:`tinyio.Loop`, on ``tinyio_clock`` if the test uses that too; a marked test that
  asks for it runs on it (spec: ``plugin/loop-fixture``).

It also carries the conformance kit's options (``--tinyio-impl``, see :mod:`tinyio.conformance`).

Example (a test file)::

    import pytest
    import tinyio

    @pytest.mark.tinyio
    def test_timeout_fires(tinyio_clock):
        event = tinyio.Event()
        assert (yield event.wait(60)) is False  # a minute, virtually: the test takes no time
        assert tinyio_clock.now() == 60
"""

from __future__ import annotations

import importlib
import inspect
import sys
import types
from collections.abc import Callable, Generator, Iterable
from typing import Any

import pytest

from .conformance import _forget
from .conformance import _pytest as _kit

__all__ = ["is_tinyio_test", "new_clock", "run_generator_test", "tinyio_clock", "tinyio_loop"]

_MARKER = "tinyio"


def _api() -> types.ModuleType:
    # The tinyio to test with: with --tinyio-impl it is the implementation under test, loaded after this module.
    return sys.modules.get("tinyio") or importlib.import_module("tinyio")


def new_clock() -> Any:
    """A fresh :class:`tinyio.testing.VirtualClock` with autojump: what the ``tinyio_clock`` fixture gives.

    Example::

        import tinyio
        from tinyio.pytest_plugin import new_clock

        clock = new_clock()
        tinyio.Loop(clock=clock).run(tinyio.sleep(90))
        assert clock.now() == 90
    """
    _api()
    return importlib.import_module("tinyio.testing").VirtualClock()


def run_generator_test(
    function: Callable[..., Generator[Any, Any, Any]],
    arguments: dict[str, Any] | None = None,
    loop: Any = None,
    exception_group: bool | None = None,
) -> None:
    """Run the generator test ``function(**arguments)`` as the main coroutine of ``loop`` (a fresh Loop if ``None``).

    This is what the plugin does for a test marked ``@pytest.mark.tinyio`` (spec: ``plugin/marker``).

    Example::

        import tinyio
        from tinyio.pytest_plugin import run_generator_test

        seen = []

        def test_doubles(x):
            seen.append((yield tinyio.sleep(0)))
            assert x * 2 == 4

        run_generator_test(test_doubles, {"x": 2})
        assert seen == [None]
    """
    __tracebackhide__ = True
    if loop is None:
        loop = _api().Loop()
    coro = function(**(arguments or {}))
    if exception_group is None:
        loop.run(coro)
    else:
        loop.run(coro, exception_group=exception_group)


# ---------------------------------------------------------------------------------------------------------- hooks
def pytest_addoption(parser: pytest.Parser) -> None:
    _kit.add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "tinyio(exception_group=None): run this generator test function as the main coroutine of a fresh "
        "tinyio.Loop (on the tinyio_clock virtual clock if the test uses that fixture)",
    )


def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    # Before any conftest or test file is imported (and after coverage, if any, has started).
    target = getattr(early_config.known_args_namespace, "tinyio_impl", None)
    if target:
        _kit.start(early_config, target)  # spec: conformance/load
    elif _coverage_is_measuring():
        # Loading this plugin imported tinyio before coverage started; forget it, so that the tests import it afresh
        # and every line of it is measured. Only then: objects made from the first import (by another plugin, say)
        # would not mix with the second. This module looks tinyio up when it needs it, so it keeps working.
        _forget("tinyio")


def _coverage_is_measuring() -> bool:
    coverage = sys.modules.get("coverage")
    current = getattr(getattr(coverage, "Coverage", None), "current", None)
    return current is not None and current() is not None


def is_tinyio_test(function: object, inherited: Iterable[Any]) -> bool:
    """Whether the plugin runs ``function``: a generator function marked ``tinyio`` (spec: ``plugin/opt-in``).

    ``inherited`` are the marks of its class and module (what ``collector.iter_markers()`` gives).

    Example::

        import pytest

        @pytest.mark.tinyio
        def test_one():
            yield

        assert is_tinyio_test(test_one, [])
    """
    if not inspect.isgeneratorfunction(function):
        return False
    marks = [*getattr(function, "pytestmark", []), *inherited]
    return any(getattr(mark, "name", None) == _MARKER for mark in marks)


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: object) -> Any:
    # pytest refuses generator test functions; collect the marked ones like any test (spec: plugin/marker).
    # Unmarked ones are left to pytest, which reports them (spec: plugin/unmarked).
    if not inspect.isgeneratorfunction(obj) or not getattr(obj, "__test__", True):
        return None
    if not isinstance(collector, (pytest.Module, pytest.Class)) or not collector.istestfunction(obj, name):
        return None
    if not is_tinyio_test(obj, list(collector.iter_markers(_MARKER))):
        return None
    generate = getattr(collector, "_genfunctions", None)  # what pytest itself uses: parametrization included
    if generate is None:
        return pytest.Function.from_parent(collector, name=name, callobj=obj)
    return list(generate(name, obj))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    marker = pyfuncitem.get_closest_marker(_MARKER)
    if marker is None or not inspect.isgeneratorfunction(pyfuncitem.obj):
        return None
    __tracebackhide__ = True
    funcargs = pyfuncitem.funcargs
    arguments = {name: funcargs[name] for name in pyfuncitem._fixtureinfo.argnames}
    loop = funcargs.get("tinyio_loop")
    if loop is None:
        clock = funcargs.get("tinyio_clock")
        loop = _api().Loop() if clock is None else _api().Loop(clock=clock)
    run_generator_test(pyfuncitem.obj, arguments, loop, *marker.args, **marker.kwargs)
    return True


# ------------------------------------------------------------------------------------------------------- fixtures
@pytest.fixture
def tinyio_clock() -> Any:
    """A fresh virtual clock with autojump: a sleep takes no real time (spec: ``plugin/clock-fixture``).

    Example::

        @pytest.mark.tinyio
        def test_sleep_is_instant(tinyio_clock):
            yield tinyio.sleep(3600)
            assert tinyio_clock.now() == 3600
    """
    return new_clock()


@pytest.fixture
def tinyio_loop(request: pytest.FixtureRequest) -> Any:
    """A fresh :class:`tinyio.Loop`, on ``tinyio_clock`` if the test uses it too (spec: ``plugin/loop-fixture``).

    Example::

        def test_run(tinyio_loop):
            assert tinyio_loop.run(tinyio.sleep(0)) is None
    """
    if "tinyio_clock" in request.fixturenames:
        return _api().Loop(clock=request.getfixturevalue("tinyio_clock"))
    return _api().Loop()
