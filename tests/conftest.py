"""Shared test configuration: the ``spec`` marker is checked against the spec at collection time.

A test that cites a rule ID which is not a ``.. rule::`` of ``spec/`` (see ``tests/_rules.py``) stops the run with a
usage error, so a typo in a citation can never pass silently (spec traceability; see ``tests/test_traceability.py``).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from _rules import RULE_ID, known_rules  # noqa: E402


def pytest_configure(config: pytest.Config) -> None:
    # A shell without job control starts a background job with SIGINT ignored, and Python then keeps it ignored; the
    # Ctrl-C tests (errors/interrupt, reliability/*) need the handler an interactive start installs. So does a run of
    # the suite from such a job (`bash .ci/run &`), and the conformance kit's child inherits what we set here.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
    path = config.getoption("--spec-citations")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"cited": cited, "problems": problems}, file)
    if problems:
        raise pytest.UsageError("tests cite unknown spec rules:\n  " + "\n  ".join(problems))


# ------------------------------------------------------------------------------------------------------ coverage
# `python -m pytest` measures branch coverage of tinyio/ (addopts in pyproject.toml) and fails below the gate
# ([tool.coverage.report] fail_under). One adjustment, only while pytest-cov measures:


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
