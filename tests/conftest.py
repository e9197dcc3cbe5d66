"""Shared test configuration: the ``spec`` marker is checked against the spec at collection time.

A test that cites a rule ID which is not a ``.. rule::`` of ``spec/`` (see ``tests/_rules.py``) stops the run with a
usage error, so a typo in a citation can never pass silently (spec traceability; see ``tests/test_traceability.py``).
"""

from __future__ import annotations

import json
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from _rules import RULE_ID, known_rules  # noqa: E402


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--spec-citations",
        metavar="PATH",
        default=None,
        help="write {rule ID: [test node IDs]} of the collected tests to PATH as JSON (for the traceability test)",
    )


def citations(item: pytest.Item) -> list[object]:
    """The rule IDs a test cites, over all its ``spec`` marks (function, class, module, parametrize)."""
    return [rule for mark in item.iter_markers("spec") for rule in (*mark.args, *mark.kwargs.values())]


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    rules = known_rules()
    cited: dict[str, list[str]] = {}
    problems: list[str] = []
    for item in items:
        marks = list(item.iter_markers("spec"))
        if marks and not citations(item):
            problems.append(f"{item.nodeid}: @pytest.mark.spec() cites no rule")
        for rule in citations(item):
            if not isinstance(rule, str) or not RULE_ID.fullmatch(rule):
                problems.append(f"{item.nodeid}: {rule!r} is not a rule ID of the form area/name")
            elif rule not in rules:
                problems.append(f"{item.nodeid}: cites {rule!r}, which is not a `.. rule::` in spec/")
            else:
                cited.setdefault(rule, []).append(item.nodeid)
    _untraceable_without_coverage(config, items)
    path = config.getoption("--spec-citations")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"cited": cited, "problems": problems}, file)
    if problems:
        raise pytest.UsageError("tests cite unknown spec rules:\n  " + "\n  ".join(problems))


# ------------------------------------------------------------------------------------------------------ coverage
# `python -m pytest` measures branch coverage of tinyio/ (addopts in pyproject.toml) and fails below the gate
# ([tool.coverage.report] fail_under). Two adjustments, both only while pytest-cov measures:


def _untraceable_without_coverage(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``untraceable`` run with coverage paused (pytest-cov's ``no_cover``).

    Such a test cancels a thread that is blocked in C code and then needs Python code in another thread to unblock it.
    On CPython 3.11, while that cancellation is pending, every thread with a tracer installed spins at its next Python
    function call, so under coverage the test would hang forever (no timeout can fire: its handler is a Python call
    too). Its lines are left out of the measurement; the test itself still runs and must pass.
    """
    if not _measuring(config):
        return
    for item in items:
        if item.get_closest_marker("untraceable") is not None:
            item.add_marker(pytest.mark.no_cover)


def _measuring(config: pytest.Config) -> bool:
    plugin = config.pluginmanager.get_plugin("_cov")
    return plugin is not None and not getattr(plugin, "_disabled", True)


_partial_run: list[bool] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    if items:
        _partial_run.append(True)


@pytest.hookimpl(trylast=True)
def pytest_collection_finish(session: pytest.Session) -> None:
    """The coverage gate judges the whole suite only: a run of some tests (named paths, -k, -m, --lf) still measures
    and reports coverage, but cannot fail for it, unless --cov-fail-under is given on the command line."""
    config = session.config
    if not _measuring(config):
        return
    whole_suite = config.args_source is pytest.Config.ArgsSource.TESTPATHS and not _partial_run
    explicit = any(str(arg).startswith("--cov-fail-under") for arg in config.invocation_params.args)
    if not whole_suite and not explicit:
        config.pluginmanager.get_plugin("_cov").options.cov_fail_under = None
