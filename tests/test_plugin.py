"""tinyio's pytest plugin (spec/plugin.rst): generator tests on a fresh Loop, the clock and loop fixtures.

Each test writes a small test file and runs pytest on it in-process with ``pytester``; the plugin is the installed one,
loaded through its entry point as it is for users.
"""

from __future__ import annotations

import importlib.metadata

import pytest

pytest_plugins = ["pytester"]


def run(pytester: pytest.Pytester, source: str, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_user=source)
    return pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", *args)


@pytest.mark.spec("plugin/entry-point")
def test_the_plugin_is_registered_through_its_entry_point(pytester: pytest.Pytester) -> None:
    entries = [e for e in importlib.metadata.entry_points(group="pytest11") if e.name == "tinyio"]
    assert [e.value for e in entries] == ["tinyio.pytest_plugin"]
    result = pytester.runpytest("-p", "no:hypothesispytest", "--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.tinyio(exception_group=None): *"])
    result = pytester.runpytest("-p", "no:hypothesispytest", "--fixtures")
    result.stdout.fnmatch_lines(["tinyio_clock*", "*virtual clock*", "tinyio_loop*"])


@pytest.mark.spec("plugin/entry-point")
def test_ordinary_tests_are_untouched(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        def helper():
            yield 1

        def test_plain():
            assert list(helper()) == [1]

        def test_fails():
            assert 1 == 2
        """,
    )
    result.assert_outcomes(passed=1, failed=1)


@pytest.mark.spec("plugin/entry-point")
def test_coverage_still_measures_tinyio_modules(pytester: pytest.Pytester) -> None:
    # Loading the plugin imports tinyio before coverage starts; the plugin must not make tinyio's module-level lines
    # look unexecuted.
    source = "import tinyio\n\ndef test_it():\n    assert tinyio.Loop().run(tinyio.sleep(0)) is None\n"
    pytester.makepyfile(test_cov=source)
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "--cov=tinyio", "--cov-report=term-missing"
    )  # fmt: skip
    result.assert_outcomes(passed=1)
    result.stdout.re_match_lines([r".*tinyio[/\\]_errors\.py\s+\d+\s+0\s+.*100%.*"])


@pytest.mark.spec("plugin/marker")
def test_a_marked_generator_test_runs_on_a_loop_with_its_fixtures(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest, tinyio

        @pytest.fixture
        def base():
            return 20

        def add(x, y):
            yield
            return x + y

        @pytest.mark.tinyio
        def test_gather(base):
            results = yield [add(base, 1), add(base, 2)]
            assert results == [21, 22]

        @pytest.mark.tinyio
        @pytest.mark.parametrize("n", [1, 2, 3])
        def test_parametrized(n):
            assert (yield add(n, n)) == 2 * n

        @pytest.mark.tinyio
        def test_a_failing_assert():
            value = yield add(1, 1)
            assert value == 3
        """,
    )
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(["*test_a_failing_assert*", "*assert 2 == 3*"])


@pytest.mark.spec("plugin/marker")
def test_the_marker_works_on_a_class_and_a_module(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_module_mark="""
        import pytest, tinyio

        pytestmark = pytest.mark.tinyio

        def test_module_level():
            assert (yield tinyio.sleep(0)) is None
        """,
        test_class_mark="""
        import pytest, tinyio

        @pytest.mark.tinyio
        class TestClass:
            def test_method(self):
                yield tinyio.sleep(0)

            def test_plain_method(self):
                assert True
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_module_level PASSED*"])


@pytest.mark.spec("plugin/marker")
def test_exception_group_is_passed_to_run(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest, tinyio

        def fails():
            yield
            raise ValueError("boom")

        @pytest.mark.tinyio(exception_group=True)
        def test_grouped():
            try:
                yield fails()
            finally:
                pass

        @pytest.mark.tinyio
        def test_alone():
            yield fails()
        """,
        "--tb=short",
    )
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*test_grouped*", "*ExceptionGroup*", "*test_alone*", "E   ValueError: boom"])


@pytest.mark.spec("plugin/opt-in")
def test_an_unmarked_generator_test_is_refused_not_run(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        ran = []

        def test_generator():
            ran.append(True)
            yield
            assert False
        """,
    )
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*'yield' keyword is allowed in fixtures, but not in tests (test_generator)*"])


@pytest.mark.spec("plugin/opt-in")
def test_marked_ordinary_and_async_functions_are_not_tinyio_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest

        @pytest.mark.tinyio
        def test_plain_function_marked():
            assert True

        @pytest.mark.tinyio
        async def test_async():
            pass
        """,
    )
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*async def functions are not natively supported*"])


@pytest.mark.spec("plugin/clock-fixture")
def test_the_clock_fixture_is_a_fresh_autojump_virtual_clock(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import time
        import pytest, tinyio, tinyio.testing

        @pytest.mark.tinyio
        @pytest.mark.parametrize("run", [1, 2])
        def test_a_day(tinyio_clock, run):
            assert isinstance(tinyio_clock, tinyio.testing.VirtualClock)
            assert tinyio_clock.now() == 0  # fresh for each test
            started = time.monotonic()
            timed_out = not (yield tinyio.Event().wait(86400))
            assert timed_out and tinyio_clock.now() == 86400
            assert time.monotonic() - started < 60

        def test_clock_without_marker(tinyio_clock):
            tinyio.Loop(clock=tinyio_clock).run(tinyio.sleep(5))
            assert tinyio_clock.now() == 5
        """,
    )
    result.assert_outcomes(passed=3)


@pytest.mark.spec("plugin/loop-fixture")
def test_the_loop_fixture_is_fresh_and_runs_marked_tests(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest, tinyio

        loops = []

        def test_first(tinyio_loop):
            loops.append(tinyio_loop)
            assert isinstance(tinyio_loop, tinyio.Loop)
            assert tinyio_loop.run(tinyio.sleep(0)) is None

        def test_second(tinyio_loop):
            loops.append(tinyio_loop)
            assert loops[0] is not loops[1]

        def test_on_the_virtual_clock(tinyio_loop, tinyio_clock):
            tinyio_loop.run(tinyio.sleep(3600))
            assert tinyio_clock.now() == 3600

        @pytest.mark.tinyio
        def test_marked_runs_on_the_fixture(tinyio_loop):
            with pytest.raises(RuntimeError, match="already running"):
                tinyio_loop.run(tinyio.sleep(0))
            yield
        """,
    )
    result.assert_outcomes(passed=4)


@pytest.mark.spec("plugin/traceback")
def test_a_failing_coroutine_is_reported_at_the_test(pytester: pytest.Pytester) -> None:
    result = run(
        pytester,
        """
        import pytest, tinyio

        def leaf():
            yield
            raise ValueError("boom")

        def middle():
            return (yield leaf())

        @pytest.mark.tinyio
        def test_chain():
            yield middle()
        """,
        "--tb=long",
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*_ test_chain _*",
            "    @pytest.mark.tinyio",
            "    def test_chain():",
            ">       yield middle()",
            "*",
            "    def middle():",
            ">       return (yield leaf())",
            "*",
            "    def leaf():",
            "        yield",
            '>       raise ValueError("boom")',
            "E       ValueError: boom",
        ]
    )
    output = result.stdout.str()
    assert "_loop.py" not in output and "pytest_plugin.py" not in output
