"""The conformance kit (spec/conformance.rst), run end to end on a small made-up test suite and implementations.

Every test builds a folder of rule-tagged tests and one or more implementations of a tiny made-up API, all of them
packages called ``tinyio`` (like the original), and runs ``python -m tinyio.conformance`` or ``pytest --tinyio-impl``
on them in a child process, exactly as CI does.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tinyio import conformance

SUITE = {
    "test_api.py": """
        import pytest
        import tinyio

        @pytest.mark.spec("demo/answer")
        def test_answer():
            assert tinyio.answer() == 42

        @pytest.mark.spec("demo/answer", "demo/double")
        def test_double():
            assert tinyio.double(4) == 8

        @pytest.mark.spec("demo/optional")
        def test_optional_name():
            assert tinyio.Optional().value == 1

        @pytest.mark.spec("demo/optional-keyword")
        def test_optional_keyword():
            assert tinyio.answer(exact=True) == 42

        @pytest.mark.spec("demo/partly")
        def test_partly_plain():
            assert tinyio.answer() == 42

        @pytest.mark.spec("demo/partly")
        def test_partly_optional():
            import tinyio.extra
            assert tinyio.extra.Thing() is not None

        @pytest.mark.spec("demo/own-bug")
        def test_attribute_error_inside_the_implementation():
            assert tinyio.broken() == 1

        @pytest.mark.spec("demo/hang")
        def test_hang():
            assert tinyio.wait_for_ever() is None

        @pytest.mark.spec("demo/private")
        def test_reaches_for_a_private_name():
            assert tinyio._secret == 1

        @pytest.mark.internals
        @pytest.mark.spec("demo/internal")
        def test_internal():
            raise AssertionError("internals tests must not run")

        @pytest.mark.spec("conformance/report")
        def test_the_kits_own():
            raise AssertionError("the kit's own tests must not run")

        def test_without_a_rule():
            raise AssertionError("tests without a rule must not run")
        """,
    "test_needs_extra.py": """
        import pytest
        import tinyio.extra
        from tinyio.extra import Thing

        CASES = [Thing.default]

        @pytest.mark.spec("demo/extra")
        def test_extra():
            assert Thing() is not None
        """,
}

GOOD = {
    "__init__.py": """
        from ._core import answer, double, broken, wait_for_ever, Optional
        _secret = 1
        """,
    "_core.py": """
        def answer(exact=False):
            return 42

        def double(x):
            return 2 * x

        def broken():
            return 1

        def wait_for_ever():
            return None

        class Optional:
            value = 1
        """,
    "extra.py": """
        class Thing:
            default = 0
        """,
    "later.py": """
        VALUE = 1
        """,
}

# Differs from GOOD on purpose: a wrong result, missing optional parts, a bug of its own, a hang, a leaked thread.
PARTIAL = {
    "__init__.py": """
        from ._core import answer, double, broken, wait_for_ever
        """,
    "_core.py": """
        import threading

        def answer():
            return 42

        def double(x):
            return x + 3

        class _Box:
            pass

        def broken():
            return _Box().value

        def wait_for_ever():
            gate = threading.Event()
            threading.Thread(target=gate.wait).start()  # a non-daemon thread that never ends
            gate.wait()
        """,
}


def write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


@pytest.fixture
def suite(tmp_path: Path) -> Path:
    return write(tmp_path / "suite" / "tests", SUITE)


def kit(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "PYTEST_"))}
    # (Hypothesis's pytest plugin costs seconds to import, and the made-up suites do not use it.)
    command = [sys.executable, "-m", "tinyio.conformance", *map(str, args), "--", "-p", "no:hypothesispytest"]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd, env={**base, **(env or {})})


def rows(output: str) -> dict[str, list[str]]:
    """The table's rows: rule -> [result, tests, first difference]."""
    found = {}
    for line in output.splitlines():
        parts = [part for part in line.split("  ") if part.strip()]
        if parts and "/" in parts[0] and not parts[0].startswith(" "):
            found[parts[0].strip()] = [part.strip() for part in parts[1:]]
    return found


@pytest.mark.spec(
    "conformance/load", "conformance/select", "conformance/report", "conformance/not-implemented",
    "conformance/timeout", "conformance/exit-status", "conformance/rst",
)  # fmt: skip
def test_the_kit_reports_every_rule_of_an_implementation_called_tinyio(suite: Path, tmp_path: Path) -> None:
    implementation = write(tmp_path / "site" / "tinyio", PARTIAL)
    broken = 'import pytest\nimport no_such_module\n\n@pytest.mark.spec("demo/broken")\ndef test_x():\n    pass\n'
    (suite / "test_broken.py").write_text(broken, encoding="utf-8")
    (suite / "test_unrelated.py").write_text("import no_such_module\n\ndef test_x():\n    pass\n", encoding="utf-8")
    rst = tmp_path / "out" / "report.rst"
    started = time.monotonic()
    proc = kit(implementation, "--tests", suite, "--timeout", "2", "--rst-out", rst, cwd=tmp_path)
    took = time.monotonic() - started
    table = rows(proc.stdout)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert table["demo/answer"][:2] == ["fail", "1/2"]
    assert table["demo/answer"][2] == "AssertionError: assert 7 == 8"
    assert table["demo/double"] == ["fail", "0/1", "AssertionError: assert 7 == 8"]
    assert table["demo/optional"] == ["not implemented", "0/1", "tinyio.Optional"]
    assert table["demo/optional-keyword"] == ["not implemented", "0/1", "answer(exact=...)"]
    assert table["demo/partly"][:2] == ["partial", "1/2"]
    assert table["demo/extra"][0] == "not implemented"
    assert table["demo/own-bug"][:2] == ["fail", "0/1"]
    assert table["demo/own-bug"][2].startswith("AttributeError: '_Box' object has no attribute 'value'")
    assert table["demo/hang"][:2] == ["fail", "0/1"] and "Timeout" in table["demo/hang"][2]
    assert not {"demo/internal", "conformance/report"} & set(table), "internals and the kit's own tests must not run"
    assert table["demo/private"][:2] == ["skipped", "0/0"]  # not held against the implementation, but listed:
    assert "test_api.py::test_reaches_for_a_private_name: tinyio._secret" in proc.stdout
    assert "9 rules: 4 fail, 1 partial, 3 not implemented, 1 skipped" in proc.stdout
    expected = "collection error in tests/test_broken.py: ModuleNotFoundError: No module named 'no_such_module'"
    assert expected in proc.stdout
    assert "ignored: tests/test_unrelated.py cannot be collected (ModuleNotFoundError" in proc.stdout  # not a kit test
    assert took < 60, "a hang and a leaked thread must not stall the run"
    text = rst.read_text(encoding="utf-8")
    assert "   * - :rule:`demo/double`\n     - fail\n     - 0/1\n     - ``AssertionError: assert 7 == 8``" in text
    assert ":rule:`demo/optional`" in text


@pytest.mark.spec("conformance/exit-status", "conformance/not-implemented", "conformance/load")
def test_a_conforming_implementation_passes_by_module_name(suite: Path, tmp_path: Path) -> None:
    # Imported by another name: `import tinyio.extra` in the tests must give that module's own `extra`.
    site = tmp_path / "site"
    write(site / "mytinyio", {**GOOD, "__init__.py": GOOD["__init__.py"] + "from . import extra\n"})
    (suite / "test_alias.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.spec("demo/alias")
            def test_submodules_are_the_implementations():
                import tinyio, tinyio.extra, tinyio.later
                import mytinyio.extra, mytinyio.later
                assert tinyio is mytinyio and tinyio.extra is mytinyio.extra and tinyio.later is mytinyio.later
            """
        ),
        encoding="utf-8",
    )
    proc = kit("mytinyio", "--tests", suite, "--timeout", "5", cwd=tmp_path, env={"PYTHONPATH": str(site)})
    table = rows(proc.stdout)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {result for result, *_ in table.values()} == {"pass"}
    assert "tinyio conformance of mytinyio" in proc.stdout and "demo/alias" in table


@pytest.mark.spec("conformance/exit-status", "conformance/load")
@pytest.mark.parametrize(
    ("target", "tests", "message"),
    [
        ("{tmp}/nowhere/tinyio", "{suite}", "neither a package folder nor a .py file"),
        ("{tmp}/", "{suite}", "has no __init__.py"),
        ("no_such_module_anywhere", "{suite}", "no module named 'no_such_module_anywhere'"),
        ("tinyio", "{tmp}/no-tests", "does not exist"),
    ],
)
def test_bad_arguments_are_refused_with_the_fix(
    suite: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], target: str, tests: str, message: str
) -> None:
    from tinyio.conformance.__main__ import main

    arguments = [target.format(tmp=tmp_path), "--tests", tests.format(tmp=tmp_path, suite=suite)]
    assert main(arguments) == 2
    assert message in capsys.readouterr().err


@pytest.mark.spec("conformance/exit-status", "conformance/load")
def test_an_implementation_that_fails_to_import_breaks_the_run(suite: Path, tmp_path: Path) -> None:
    implementation = write(tmp_path / "site" / "tinyio", {"__init__.py": "raise RuntimeError('cannot start')\n"})
    proc = kit(implementation, "--tests", suite, cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "RuntimeError: cannot start" in proc.stdout and "the run did not complete" in proc.stdout


@pytest.mark.spec("conformance/exit-status", "conformance/select", "conformance/not-implemented", "conformance/rst")
def test_the_pytest_option_does_the_same_inside_pytest(suite: Path, tmp_path: Path) -> None:
    implementation = write(tmp_path / "site" / "tinyio", PARTIAL)
    (suite / "test_api.py").write_text(
        (suite / "test_api.py").read_text().replace("def test_hang", "def skip_hang"), encoding="utf-8"
    )
    rst = tmp_path / "table.rst"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("COV_CORE", "PYTEST_"))}
    command = [
        sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-rs",
        f"--tinyio-impl={implementation}", f"--tinyio-rst-out={rst}", str(suite),
    ]  # fmt: skip
    proc = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env=env)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # pytest's own status: tests failed
    assert re.search(r"SKIPPED \[1\] \S*test_api.py:\d+: not implemented: tinyio.Optional\n", proc.stdout), proc.stdout
    assert "tinyio conformance of tinyio" in proc.stdout
    assert rows(proc.stdout)["demo/double"][0] == "fail"
    assert ":rule:`demo/partly`" in rst.read_text(encoding="utf-8")
    assert "deselected" in proc.stdout


@pytest.mark.spec("conformance/not-implemented")
def test_what_counts_as_not_implemented() -> None:
    with conformance.implementation("tinyio") as module:
        import tinyio.no_such_part as absent  # a placeholder: the test file still imports

        with pytest.raises(AttributeError) as raised:
            absent.Thing()
        assert conformance.missing_feature(raised.value, module) == "tinyio.no_such_part.Thing"
        with pytest.raises(AttributeError) as raised:
            module.NoSuchName  # noqa: B018
        assert conformance.missing_feature(raised.value, module) == "tinyio.NoSuchName"
        with pytest.raises(TypeError) as raised:
            module.Loop(no_such_keyword=1)
        assert conformance.missing_feature(raised.value, module) == "Loop.__init__(no_such_keyword=...)"
        with pytest.raises(AttributeError) as raised:
            module.Loop()._no_such_private  # noqa: B018
        assert conformance.missing_feature(raised.value, module) is None  # private names are never optional
        try:
            try:
                module.NoSuchName  # noqa: B018
            except AttributeError:
                pytest.fail("the example failed")
        except BaseException as wrapper:  # how the spec-example runner reports: looked through
            assert conformance.missing_feature(wrapper, module) == "tinyio.NoSuchName"
        assert conformance.missing_feature(NotImplementedError("no threads here"), module) == (
            "NotImplementedError: no threads here"
        )
    with pytest.raises(ModuleNotFoundError):
        import tinyio.no_such_part  # noqa: F401  # outside the kit, a missing module is an error again


@pytest.mark.spec("conformance/timeout", "conformance/exit-status")
def test_a_hang_that_no_timeout_can_interrupt_is_cut_by_the_budget(tmp_path: Path) -> None:
    suite = write(
        tmp_path / "suite" / "tests",
        {
            "test_stuck.py": """
                import signal, threading
                import pytest
                import tinyio

                @pytest.mark.spec("demo/first")
                def test_first():
                    assert tinyio.answer() == 42

                @pytest.mark.spec("demo/stuck")
                def test_stuck():
                    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})  # the per-test timeout cannot fire
                    threading.Event().wait()
                """
        },
    )
    implementation = write(tmp_path / "site" / "tinyio", GOOD)
    started = time.monotonic()
    proc = kit(implementation, "--tests", suite, "--timeout", "1", "--budget", "8", cwd=tmp_path)
    assert time.monotonic() - started < 30
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "exceeded its budget of 8 s" in proc.stdout and "the run did not complete" in proc.stdout
    assert rows(proc.stdout)["demo/first"][0] == "pass"  # what finished is still reported


@pytest.mark.spec("conformance/load")
def test_a_target_that_names_nothing_changes_nothing(tmp_path: Path) -> None:
    before = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "tinyio"}
    for target in [str(tmp_path / "nothing"), "no_such_module_anywhere", f"{tmp_path}/"]:
        with pytest.raises(ValueError):
            conformance.load(target)
        after = {name: module for name, module in sys.modules.items() if name.split(".")[0] == "tinyio"}
        assert after == before


@pytest.mark.spec("conformance/select")
def test_the_state_machines_run_only_when_asked_for(tmp_path: Path) -> None:
    from tinyio.conformance.__main__ import command

    tests = tmp_path / "tests"
    (tests / "stateful").mkdir(parents=True)
    default = command("tinyio", tests, tmp_path / "r.jsonl", 10, [])
    assert f"--ignore={tests / 'stateful'}" in default
    assert not any("mutants" in arg for arg in default)  # no such folder here: nothing to leave out
    asked = command("tinyio", tests, tmp_path / "r.jsonl", 10, [], slow=True)
    assert not any(arg.startswith("--ignore=") for arg in asked)
