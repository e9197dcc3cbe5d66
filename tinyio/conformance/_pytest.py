"""The kit's pytest glue: ``pytest --tinyio-impl=MODULE_OR_PATH`` runs tinyio's tests against another implementation.

:mod:`tinyio.pytest_plugin` (loaded through the ``pytest11`` entry point) adds the options and, before any conftest
or test file is imported, calls :func:`start`, which imports the implementation as ``tinyio`` and registers
:class:`Kit` to select the applicable tests, classify their outcomes and report one line per rule. Everything this
module needs from the kit is imported before the swap, so the implementation under test never sees this package.
"""

from __future__ import annotations

import importlib.metadata
import json
import linecache
import os
import re
import sys
import types
from collections.abc import Generator
from pathlib import Path
from typing import IO, Any

import pytest

from . import applies, exit_status, first_line, format_rst, format_table, load, missing_feature, private_name, summarise

__all__ = ["Kit", "add_options", "describe", "start"]

NOT_IMPLEMENTED_PROPERTY = ("tinyio_conformance", "not-implemented")
USES_INTERNALS_PROPERTY = ("tinyio_conformance", "uses-internals")


def _verdict(error: BaseException, module: types.ModuleType) -> tuple[str, str] | None:
    """``(outcome, reason)`` for an error that is not held against the implementation, else ``None``."""
    private = private_name(error, module)
    if private is not None:
        return "uses-internals", f"the test uses the private name {private}: it checks internals (mark it internals)"
    missing = missing_feature(error, module)
    if missing is not None:
        return "not-implemented", missing
    return None


def add_options(parser: pytest.Parser) -> None:
    group = parser.getgroup("tinyio", "tinyio conformance kit")
    group.addoption(
        "--tinyio-impl",
        metavar="MODULE_OR_PATH",
        default=None,
        help="run the rule-tagged tests (not those marked internals) against this implementation of the tinyio API: "
        "a module name, or the path of its package folder; print one line per rule",
    )
    group.addoption(
        "--tinyio-rst-out",
        metavar="PATH",
        default=None,
        help="with --tinyio-impl: also write the per-rule table as reStructuredText to PATH",
    )
    group.addoption(
        "--tinyio-report",
        metavar="PATH",
        default=None,
        help="with --tinyio-impl: append one JSON line per test to PATH and end the process without waiting for "
        "threads the implementation leaked (used by python -m tinyio.conformance)",
    )


def describe(module: types.ModuleType, target: str) -> str:
    """``name version`` of the implementation (from its distribution metadata when it has one)."""
    version = getattr(module, "__version__", None)
    name = module.__name__
    if version is None:
        origin = getattr(module, "__file__", None)
        search = [str(Path(origin).resolve().parent.parent)] if origin else None
        try:
            for dist in importlib.metadata.distributions(path=search) if search else ():
                if (dist.metadata["Name"] or "").lower().replace("-", "_") == Path(origin or "").parent.name:
                    version = dist.version
                    break
            else:
                version = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            version = None
    return f"{name} {version}" if version else f"{name} ({target})"


def start(config: pytest.Config, target: str) -> None:
    """Import the implementation as ``tinyio`` and register the kit (spec: ``conformance/load``)."""
    try:
        module = load(target)
    except ValueError as error:
        raise pytest.UsageError(f"--tinyio-impl: {error}") from None
    config.pluginmanager.register(Kit(config, target, module), "tinyio-conformance")


def _difference(error: BaseException) -> str:
    """The first line of what went wrong, looking through a ``pytest.fail`` raised while handling the real error."""
    if type(error).__name__ == "Failed" and (error.__cause__ or error.__context__) is not None:
        error = error.__cause__ or error.__context__  # type: ignore[assignment]
    first = first_line(str(error))
    if not first and isinstance(error, AssertionError) and error.__traceback__ is not None:
        tb = error.__traceback__  # a bare `assert` that pytest did not rewrite (an exec-ed example): show its line
        while tb.tb_next is not None:
            tb = tb.tb_next
        first = linecache.getline(tb.tb_frame.f_code.co_filename, tb.tb_lineno).strip()
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


_SPEC_MARK = re.compile(r"mark\.spec\(([^)]*)\)")
_RULE = re.compile(r"""["']([a-z0-9-]+/[a-z0-9-]+)["']""")


def _cited_in(path: Path) -> list[str]:
    """The rules a test file cites, read from its source (for a file that cannot be imported)."""
    try:
        source = path.read_text(encoding="utf-8")
    except OSError:
        return []
    cited = {rule for mark in _SPEC_MARK.finditer(source) for rule in _RULE.findall(mark.group(1))}
    return sorted(rule for rule in cited if applies([rule], internals=False))


def _collect_message(report: pytest.CollectReport) -> str:
    text = str(report.longrepr)
    message = next((line for line in text.splitlines() if line.startswith("E ")), "")
    return message[1:].strip() or (text.strip().splitlines() or [""])[-1]


def notes(records: list[dict[str, Any]]) -> list[str]:
    """The lines under the table: collection errors, and tests that reached for private names."""
    lines = [f"collection error in {r['nodeid']}: {r['message']}" for r in records if r["kind"] == "collect-error"]
    lines += [f"ignored: {r['nodeid']} {r['message']}" for r in records if r["kind"] == "ignored"]
    internal = [r for r in records if r.get("outcome") == "uses-internals"]
    if internal:
        lines.append("not counted: these tests use private names, so they check internals (mark them internals):")
        lines += [f"  {r['nodeid']}: {r['message'].split('private name ')[-1].split(':')[0]}" for r in internal]
    return lines


class Kit:
    """The pytest plugin of one conformance run (spec: ``conformance/select``, ``conformance/report``)."""

    def __init__(self, config: pytest.Config, target: str, module: types.ModuleType) -> None:
        self.config = config
        self.target = target
        self.module = module
        self.title = describe(module, target)
        self.rules: dict[str, list[str]] = {}
        self.tests: dict[str, dict[str, Any]] = {}
        self.messages: dict[tuple[str, str], str] = {}
        self.records: list[dict[str, Any]] = []
        self.exitstatus = 0
        path = getattr(config.known_args_namespace, "tinyio_report", None)  # config.option is not parsed yet
        self.out: IO[str] | None = open(path, "a", encoding="utf-8") if path else None  # noqa: SIM115
        self._write({"kind": "start", "implementation": self.title, "target": target})

    def _write(self, record: dict[str, Any]) -> None:
        if self.out is not None:
            self.out.write(json.dumps(record) + "\n")
            self.out.flush()  # a crash or a kill later keeps every line so far

    # ------------------------------------------------------------------------------------------ selection
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        # spec: conformance/select — behaviour tests only: cite a rule, not internals, not the kit's own rules
        keep, drop = [], []
        for item in items:
            rules = [rule for mark in item.iter_markers("spec") for rule in mark.args if isinstance(rule, str)]
            if applies(rules, internals=item.get_closest_marker("internals") is not None):
                keep.append(item)
                self.rules[item.nodeid] = rules
            else:
                drop.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(self, collector: pytest.Collector) -> Generator[None, Any, Any]:
        # A test file that needs a missing feature to be imported at all (a module-level `from tinyio.testing import
        # X` that is then used) cannot be collected; its rules are not implemented, not failed.
        errors: list[BaseException] = []
        collect = collector.collect

        def collect_and_keep_error() -> Any:
            try:
                return collect()
            except BaseException as error:
                errors.append(error)
                raise

        collector.collect = collect_and_keep_error  # type: ignore[method-assign]
        try:
            report = yield
        finally:
            del collector.collect
        if not report.failed:
            return report
        path = Path(str(getattr(collector, "path", "")))
        verdict = _verdict(errors[0], self.module) if errors else None
        if verdict is None and path.suffix == ".py" and not _cited_in(path):
            # Not one of the kit's tests (it cites no rule the kit checks): its breakage is not the implementation's.
            verdict = "ignored", f"cannot be collected ({_collect_message(report)}), and cites no rule the kit checks"
        if verdict is not None:  # spec: conformance/not-implemented
            outcome, reason = verdict
            report.outcome = "skipped"
            label = "not implemented: " if outcome == "not-implemented" else ""
            needed = "" if outcome == "ignored" else " (needed to import the test file)"
            report.longrepr = (str(path), 0, f"{label}{reason}{needed}")
            record = {
                "kind": "test" if outcome != "ignored" else "ignored",
                "nodeid": report.nodeid,
                "rules": _cited_in(path),
                "outcome": outcome,
                "message": reason,
            }
            self.records.append(record)
            self._write(record)
        return report

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            record = {"kind": "collect-error", "nodeid": report.nodeid, "message": _collect_message(report)}
            self.records.append(record)
            self._write(record)

    # ------------------------------------------------------------------------------------- classification
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if call.excinfo is None or not report.failed:
            return report
        error = call.excinfo.value
        verdict = _verdict(error, self.module)
        if verdict is None:  # spec: conformance/report — the first line of the error is the first difference
            self.messages[(item.nodeid, call.when)] = _difference(error)
            return report
        # spec: conformance/not-implemented — reported as a skip, so that pytest's own exit status agrees
        outcome, reason = verdict
        path, line, _ = item.location
        report.outcome = "skipped"
        label = "not implemented: " if outcome == "not-implemented" else ""
        report.longrepr = (str(Path(str(item.path))), (line or 0) + 1, f"{label}{reason}")
        marker = NOT_IMPLEMENTED_PROPERTY if outcome == "not-implemented" else USES_INTERNALS_PROPERTY
        report.user_properties.append(marker)
        self.messages[(item.nodeid, call.when)] = reason
        return report

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        test = self.tests.setdefault(report.nodeid, {"outcome": None, "message": ""})
        message = self.messages.get((report.nodeid, report.when), "")
        if report.failed:
            if test["outcome"] != "failed":
                test["outcome"] = "failed"
                test["message"] = message or next(iter(report.longreprtext.strip().splitlines()[-1:]), "failed")
        elif NOT_IMPLEMENTED_PROPERTY in report.user_properties:
            if test["outcome"] != "failed":
                test["outcome"], test["message"] = "not-implemented", message
        elif USES_INTERNALS_PROPERTY in report.user_properties:
            if test["outcome"] != "failed":
                test["outcome"], test["message"] = "uses-internals", message
        elif report.skipped:
            test["outcome"] = test["outcome"] or "skipped"
        elif report.when == "call":
            test["outcome"] = test["outcome"] or "passed"
        if report.when == "teardown":
            del self.tests[report.nodeid]
            record = {
                "kind": "test",
                "nodeid": report.nodeid,
                "rules": self.rules.get(report.nodeid, []),
                "outcome": test["outcome"] or "failed",
                "message": test["message"],
            }
            self.records.append(record)
            self._write(record)

    # ------------------------------------------------------------------------------------------- report
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self.exitstatus = int(exitstatus)
        tests = [record for record in self.records if record["kind"] == "test"]
        rst_out = self.config.getoption("--tinyio-rst-out")
        if rst_out:
            Path(rst_out).parent.mkdir(parents=True, exist_ok=True)
            Path(rst_out).write_text(format_rst(summarise(tests), self.title), encoding="utf-8")
        self._write({"kind": "end", "exitstatus": self.exitstatus})

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        tests = [record for record in self.records if record["kind"] == "test"]
        results = summarise(tests)
        terminalreporter.write_sep("=", f"tinyio conformance of {self.title}")
        terminalreporter.write(format_table(results))
        for line in notes(self.records):
            terminalreporter.write_line(line)
        status = exit_status(results, broken=False)
        terminalreporter.write_line(f"conformance exit status: {status}")

    @pytest.hookimpl(trylast=True)
    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.out is None:
            return
        self.out.close()
        # Threads the implementation leaked (a hang it could not cancel) must not keep the process alive.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(self.exitstatus)
