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
    path = config.getoption("--spec-citations")
    if path:
        with open(path, "w", encoding="utf-8") as file:
            json.dump({"cited": cited, "problems": problems}, file)
    if problems:
        raise pytest.UsageError("tests cite unknown spec rules:\n  " + "\n  ".join(problems))
