"""The conformance kit: check any implementation of the tinyio API against tinyio's rule-tagged tests.

tinyio's tests cite the spec rule they prove (``@pytest.mark.spec("area/name")``). Those that check observable
behaviour -- every test not marked ``internals`` -- hold for any implementation of the API, so the kit runs them, and
the spec's own examples, against another module and reports one line per rule (spec: ``conformance/report``)::

    python -m tinyio.conformance MODULE_OR_PATH [--rst-out PATH] [--timeout SECONDS]
    pytest --tinyio-impl=MODULE_OR_PATH             # the same, inside pytest

``MODULE_OR_PATH`` is a module name (``tinyio``, ``mytinyio``) or the path of a package folder or of a ``.py`` file;
a path is anything that contains a ``/`` or ends in ``.py`` (spec: ``conformance/load``). The implementation is
imported under the name ``tinyio`` before any test is collected, while the kit itself and the tests come from this
source tree; so even the original tinyio 0.4.0, whose package is also called ``tinyio``, can be checked from a folder
it was ``pip install --target``-ed into.

A test that fails only because the implementation lacks a public name the test uses -- an optional feature such as
``tinyio.testing`` or ``tinyio.ThreadPool``, or a keyword argument such as ``Loop(clock=...)`` -- counts as *not
implemented*, not as failed (spec: ``conformance/not-implemented``).

Example::

    from tinyio import conformance

    records = [
        {"nodeid": "t.py::test_a", "rules": ["gather/order"], "outcome": "passed", "message": ""},
        {"nodeid": "t.py::test_b", "rules": ["gather/order"], "outcome": "failed", "message": "AssertionError: x"},
    ]
    (result,) = conformance.summarise(records)
    assert (result.rule, result.status, result.first_difference) == ("gather/order", "fail", "AssertionError: x")
"""

from __future__ import annotations

import contextlib
import dataclasses
import importlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import re
import sys
import types
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "FAIL",
    "KIT_AREAS",
    "NOT_IMPLEMENTED",
    "PARTIAL",
    "PASS",
    "SKIPPED",
    "RuleResult",
    "applies",
    "check",
    "implementation",
    "exit_status",
    "format_rst",
    "format_table",
    "load",
    "missing_feature",
    "private_name",
    "summarise",
]

PASS, FAIL, NOT_IMPLEMENTED, PARTIAL, SKIPPED = "pass", "fail", "not implemented", "partial", "skipped"

# Rules about the kit and the plugin themselves: they describe this repository's tooling, not the tinyio API, so the
# kit does not run their tests against other implementations (spec: conformance/select).
KIT_AREAS = ("conformance", "plugin")

_NAME = "tinyio"


@dataclasses.dataclass(frozen=True)
class RuleResult:
    """The verdict on one rule: its ``status`` and, for a failure, the first line of the first failing test's error.

    ``status`` is ``"pass"`` (every test passed), ``"fail"`` (a test failed), ``"not implemented"`` (no test passed:
    each needs a feature the implementation lacks), ``"partial"`` (every test it could run passed, others need a
    missing feature) or ``"skipped"`` (every test was skipped).

    Example::

        from tinyio.conformance import RuleResult

        result = RuleResult("sched/fifo", "pass", passed=2, total=2, first_difference="", test="")
        assert result.status == "pass"
    """

    rule: str
    status: str
    passed: int
    total: int
    first_difference: str
    test: str


def applies(rules: Sequence[str], internals: bool) -> bool:
    """Whether the kit runs a test that cites ``rules`` (spec: ``conformance/select``).

    It does if the test cites a rule, is not marked ``internals``, and cites a rule outside the kit's own areas.

    Example::

        from tinyio.conformance import applies

        assert applies(["gather/order"], internals=False)
        assert not applies(["gather/order"], internals=True)
        assert not applies(["conformance/report"], internals=False)
    """
    return bool(rules) and not internals and not all(rule.split("/")[0] in KIT_AREAS for rule in rules)


# ------------------------------------------------------------------------------------------------------- loading
def _is_path(target: str) -> bool:
    return "/" in target or os.sep in target or target.endswith(".py")


def _forget(name: str) -> None:
    for key in [key for key in sys.modules if key == name or key.startswith(name + ".")]:
        del sys.modules[key]


def load(target: str) -> types.ModuleType:
    """Import the implementation ``target`` as ``sys.modules["tinyio"]`` (spec: ``conformance/load``).

    ``target`` is a module name, or the path of a package folder (the one holding ``__init__.py``) or of a ``.py``
    file. Every ``tinyio`` module imported so far is forgotten first, so ``import tinyio`` afterwards gives the
    implementation; objects already imported keep what they imported. Raises :class:`ValueError` naming the fix when
    ``target`` cannot be found.

    The kit calls it in the pytest process that runs the tests, before collection; elsewhere use
    :func:`implementation`, which puts everything back afterwards.
    """
    if _is_path(target):
        spec = _spec_of_path(Path(target))
        _forget(_NAME)  # only now: a target that names nothing leaves everything as it was
        module = _execute(spec)
    else:
        check(target)
        _forget(_NAME)
        module = importlib.import_module(target)
        if module.__name__ != _NAME:
            _alias(module)
    _install_placeholders()
    return module


def check(target: str) -> None:
    """Raise :class:`ValueError` naming the fix if ``target`` names no module, package folder or ``.py`` file.

    Example::

        from tinyio.conformance import check

        check("tinyio")
        try:
            check("./no/such/folder")
        except ValueError as error:
            assert "neither a package folder nor a .py file" in str(error)
    """
    if _is_path(target):
        _spec_of_path(Path(target))
        return
    try:
        found = importlib.util.find_spec(target.split(".")[0]) is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ValueError(
            f"no module named {target!r}: pass an importable module name, or the path of the implementation's "
            "package folder (a path must contain '/', e.g. ./mytinyio)"
        )


@contextlib.contextmanager
def implementation(target: str) -> Iterator[types.ModuleType]:
    r"""Within the ``with`` block, ``import tinyio`` gives the implementation ``target`` (see :func:`load`).

    Example::

        import pathlib, tempfile
        from tinyio import conformance

        with tempfile.TemporaryDirectory() as folder:
            package = pathlib.Path(folder, "tinyio")
            package.mkdir()
            (package / "__init__.py").write_text("from ._core import Loop\n")
            (package / "_core.py").write_text("class Loop:\n    pass\n")
            with conformance.implementation(str(package)) as module:
                import tinyio
                assert tinyio is module and tinyio.Loop.__module__ == "tinyio._core"
        import tinyio
        assert hasattr(tinyio, "sleep")  # this package again
    """
    saved = {key: value for key, value in sys.modules.items() if key == _NAME or key.startswith(_NAME + ".")}
    finders = list(sys.meta_path)
    try:
        yield load(target)
    finally:
        _forget(_NAME)
        sys.modules.update(saved)
        sys.meta_path[:] = finders


def _spec_of_path(path: Path) -> importlib.machinery.ModuleSpec:
    path = path.resolve()
    if path.is_dir():
        init = path / "__init__.py"
        if not init.is_file():
            raise ValueError(
                f"{path} has no __init__.py: pass the implementation's package folder itself, the one holding "
                "__init__.py (e.g. /tmp/orig/tinyio after `pip install --target /tmp/orig tinyio==0.4.0`)"
            )
        spec = importlib.util.spec_from_file_location(_NAME, init, submodule_search_locations=[str(path)])
    elif path.is_file() and path.suffix == ".py":
        spec = importlib.util.spec_from_file_location(_NAME, path)
    else:
        raise ValueError(f"{path} is neither a package folder nor a .py file")
    assert spec is not None and spec.loader is not None
    return spec


def _execute(spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[_NAME] = module  # before executing it, so that its relative imports resolve to tinyio.<sub>
    try:
        spec.loader.exec_module(module)
    except BaseException:
        _forget(_NAME)
        raise
    return module


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Make ``import tinyio.x`` give ``real.x`` for an implementation imported by another name ``real``."""

    def __init__(self, real: str) -> None:
        self.real = real

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        if not fullname.startswith(_NAME + ".") or sys.modules.get(_NAME) is not sys.modules.get(self.real):
            return None
        real = self.real + fullname[len(_NAME) :]
        if importlib.util.find_spec(real) is None:
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return importlib.import_module(self.real + spec.name[len(_NAME) :])

    def exec_module(self, module: types.ModuleType) -> None:
        pass  # imported already, under its own name


def _alias(module: types.ModuleType) -> None:
    real = module.__name__
    sys.modules[_NAME] = module
    for key, value in list(sys.modules.items()):
        if key.startswith(real + "."):
            sys.modules[_NAME + key[len(real) :]] = value
    if not any(isinstance(finder, _Alias) and finder.real == real for finder in sys.meta_path):
        sys.meta_path.insert(0, _Alias(real))


class Missing(AttributeError):
    """Raised on use of a public name that the implementation under test does not provide."""


class _AbsentType(type):
    """Any use of an absent name other than naming it in ``except`` or ``isinstance`` raises :class:`Missing`."""

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        raise Missing(f"{cls.__qualname__} is not provided by the implementation under test")

    def __getattr__(cls, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        raise Missing(f"{cls.__qualname__}.{attribute} is not provided by the implementation under test")


def _absent(name: str) -> type:
    """Stands for a name imported from a missing ``tinyio`` submodule: a class, so ``except`` and ``isinstance``
    work."""
    absent = _AbsentType(name.rsplit(".", 1)[-1], (Exception,), {"__module__": name.rsplit(".", 1)[0]})
    absent.__qualname__ = name
    return absent


class _Placeholder(types.ModuleType):
    def __getattr__(self, attribute: str) -> Any:
        if attribute.startswith("__"):
            raise AttributeError(attribute)
        return _absent(f"{self.__name__}.{attribute}")


class _Placeholders(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Last resort of the import system: a missing public ``tinyio.x`` becomes a placeholder module.

    So a test file that imports an optional submodule (``import tinyio.testing``) is still collected against an
    implementation without it; its tests that use it report "not implemented" (spec: ``conformance/not-implemented``).
    """

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        parts = fullname.split(".")
        if len(parts) != 2 or parts[0] != _NAME or parts[1].startswith("_"):
            return None
        return importlib.machinery.ModuleSpec(fullname, self)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return _Placeholder(spec.name)

    def exec_module(self, module: types.ModuleType) -> None:
        pass


def _install_placeholders() -> None:
    if not any(isinstance(finder, _Placeholders) for finder in sys.meta_path):
        sys.meta_path.append(_Placeholders())


# ------------------------------------------------------------------------------------------------ classification
_UNEXPECTED_KEYWORD = re.compile(r"got an unexpected keyword argument '(\w+)'")


def _innermost_file(error: BaseException) -> str:
    tb = error.__traceback__
    if tb is None:
        return ""
    while tb.tb_next is not None:
        tb = tb.tb_next
    return tb.tb_frame.f_code.co_filename


def _belongs(owner: object, prefixes: tuple[str, ...]) -> bool:
    name = owner.__name__ if isinstance(owner, types.ModuleType) else getattr(owner, "__module__", None)
    return isinstance(name, str) and any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


def missing_feature(error: BaseException, implementation: types.ModuleType) -> str | None:
    """Why ``error`` means "not implemented" rather than "failed", or ``None`` (spec: ``conformance/not-implemented``).

    It does when the implementation lacks a public name the test uses: an :class:`AttributeError` for a public
    attribute of the implementation's modules, classes or objects, raised outside the implementation's own code; an
    :class:`ImportError` of a ``tinyio`` module or name; a :class:`TypeError` for a keyword argument its API does not
    take, raised outside its code; or a :class:`NotImplementedError`. A wrapper that a test raised while handling such
    an error (``pytest.fail`` in the spec-example runner) is looked through.

    Example::

        import types
        from tinyio.conformance import missing_feature

        impl = types.ModuleType("tinyio")
        try:
            impl.ThreadPool
        except AttributeError as error:
            assert missing_feature(error, impl) == "tinyio.ThreadPool"
        assert missing_feature(ValueError("boom"), impl) is None
    """
    kind, name = _classify(error, implementation)
    return name if kind == "missing" else None


def private_name(error: BaseException, implementation: types.ModuleType) -> str | None:
    """The private name of the implementation that the test reached for, if that is what ``error`` is about.

    Such a test checks how tinyio works inside, not what it does: it should be marked ``internals``, and the kit does
    not hold its failure against the implementation (spec: ``conformance/select``).

    Example::

        import types
        from tinyio.conformance import private_name

        impl = types.ModuleType("tinyio")
        try:
            impl._core
        except AttributeError as error:
            assert private_name(error, impl) == "tinyio._core"
    """
    kind, name = _classify(error, implementation)
    return name if kind == "private" else None


def _classify(error: BaseException, implementation: types.ModuleType) -> tuple[str, str] | tuple[None, None]:
    prefixes = tuple({_NAME, implementation.__name__})
    origin = getattr(implementation, "__file__", None) or ""
    home = os.path.dirname(origin) if os.path.basename(origin) == "__init__.py" else origin
    for _ in range(4):  # the error itself, or what a wrapper was raised while handling
        found = _kind(error, prefixes, home)
        if found[0] is not None or type(error).__name__ not in ("Failed", "CollectError"):
            return found
        inner = error.__cause__ or error.__context__
        if inner is None:
            break
        error = inner
    return None, None


_CANNOT_IMPORT = re.compile(r"cannot import name '(\w+)'")


def _private(dotted: str) -> bool:
    return any(part.startswith("_") and not part.startswith("__") for part in dotted.split("."))


def _kind(error: BaseException, prefixes: tuple[str, ...], home: str) -> tuple[str, str] | tuple[None, None]:
    outside = not home or not _innermost_file(error).startswith(home)
    if isinstance(error, Missing):
        return "missing", str(error).split(" is not provided", 1)[0]
    if isinstance(error, NotImplementedError):
        return "missing", f"NotImplementedError: {error}".rstrip(": ")
    if isinstance(error, ImportError):
        module = error.name or ""
        if not outside or not any(module == prefix or module.startswith(prefix + ".") for prefix in prefixes):
            return None, None
        match = _CANNOT_IMPORT.search(str(error))
        dotted = f"{module}.{match.group(1)}" if match else module
        return ("private", dotted) if _private(dotted) else ("missing", str(error))
    if isinstance(error, AttributeError):
        owner, attribute = getattr(error, "obj", None), getattr(error, "name", None)
        if owner is None or not attribute or attribute.startswith("__") or not outside:
            return None, None
        holder = owner if isinstance(owner, (type, types.ModuleType)) else type(owner)
        if not _belongs(holder, prefixes):
            return None, None
        where = holder.__name__ if isinstance(holder, types.ModuleType) else f"{_NAME}.{holder.__qualname__}"
        return ("private" if attribute.startswith("_") else "missing"), f"{where}.{attribute}"
    if isinstance(error, TypeError) and outside:
        match = _UNEXPECTED_KEYWORD.search(str(error))
        if match is not None:
            return "missing", f"{str(error).split('(')[0].split()[-1]}({match.group(1)}=...)"
    return None, None


# -------------------------------------------------------------------------------------------------- reporting
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


def first_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped, with memory addresses blanked so that reports are stable."""
    for line in text.splitlines():
        if line.strip():
            return _ADDRESS.sub("0x…", line.strip())
    return ""


def summarise(records: Iterable[Mapping[str, Any]]) -> list[RuleResult]:
    """One :class:`RuleResult` per rule cited by the test ``records``, sorted by rule (spec: ``conformance/report``).

    A record is ``{"nodeid", "rules", "outcome", "message"}`` with ``outcome`` one of ``passed``, ``failed``,
    ``not-implemented``, ``skipped`` and ``uses-internals`` (a test that reached for a private name: not counted).
    A rule fails if any of its tests failed; the first difference is the message
    of its first failing test, in run order.

    Example::

        from tinyio.conformance import summarise

        records = [{"nodeid": "t::a", "rules": ["x/y"], "outcome": "not-implemented", "message": "tinyio.testing"}]
        assert summarise(records)[0].status == "not implemented"
    """
    tests: dict[str, list[Mapping[str, Any]]] = {}
    for record in records:
        for rule in record.get("rules", ()):
            tests.setdefault(rule, []).append(record)
    results = []
    for rule in sorted(tests):
        outcomes = [record["outcome"] for record in tests[rule]]
        passed = outcomes.count("passed")
        counted = [record for record in tests[rule] if record["outcome"] not in ("skipped", "uses-internals")]
        internal = [record for record in tests[rule] if record["outcome"] == "uses-internals"]
        failed = [record for record in counted if record["outcome"] == "failed"]
        missing = [record for record in counted if record["outcome"] == "not-implemented"]
        if failed:
            status, first = FAIL, failed[0]
        elif missing:
            status, first = (PARTIAL if passed else NOT_IMPLEMENTED), missing[0]
        elif passed:
            status, first = PASS, None
        else:
            status, first = SKIPPED, (internal[0] if internal else None)
        message = first_line(first["message"]) if first else ""
        results.append(RuleResult(rule, status, passed, len(counted), message, first["nodeid"] if first else ""))
    return results


def exit_status(results: Sequence[RuleResult], broken: bool = False) -> int:
    """0 if no rule failed, 1 if one did, 2 if the run itself broke (spec: ``conformance/exit-status``).

    Example::

        from tinyio.conformance import RuleResult, exit_status

        assert exit_status([RuleResult("a/b", "not implemented", 0, 1, "tinyio.testing", "t::a")]) == 0
        assert exit_status([RuleResult("a/b", "fail", 0, 1, "AssertionError", "t::a")]) == 1
    """
    if broken:
        return 2
    return 1 if any(result.status == FAIL for result in results) else 0


def counts(results: Sequence[RuleResult]) -> dict[str, int]:
    """How many rules have each status, in a fixed order."""
    statuses = (PASS, FAIL, PARTIAL, NOT_IMPLEMENTED, SKIPPED)
    return {status: sum(r.status == status for r in results) for status in statuses}


def _summary(results: Sequence[RuleResult]) -> str:
    parts = [f"{n} {status}" for status, n in counts(results).items() if n]
    return f"{len(results)} rules: " + ", ".join(parts) if parts else "no rules"


def format_table(results: Sequence[RuleResult], width: int = 120) -> str:
    """The report as a plain-text table (spec: ``conformance/report``).

    One row per rule: its ID, result, tests passed out of those run, and the first difference; then a summary line.

    Example::

        from tinyio.conformance import RuleResult, format_table

        table = format_table([RuleResult("gather/order", "fail", 1, 2, "AssertionError: [2, 1]", "t::b")])
        assert "gather/order" in table and "fail" in table and "AssertionError: [2, 1]" in table
    """
    rule_width = max([len("rule"), *(len(r.rule) for r in results)])
    status_width = max(len(NOT_IMPLEMENTED), len("result"))
    head = f"{'rule':<{rule_width}}  {'result':<{status_width}}  tests  first difference"
    lines = [head, "-" * min(width, max(len(head), 40))]
    room = max(width - rule_width - status_width - 13, 20)
    for r in results:
        difference = r.first_difference if len(r.first_difference) <= room else r.first_difference[: room - 1] + "…"
        ratio = f"{r.passed}/{r.total}"
        lines.append(f"{r.rule:<{rule_width}}  {r.status:<{status_width}}  {ratio:>5}  {difference}".rstrip())
    lines.append(_summary(results))
    return "\n".join(lines) + "\n"


def _literal(text: str) -> str:
    text = text.replace("`", "'").strip()
    return f"``{text}``" if text else ""


def format_rst(results: Sequence[RuleResult], title: str) -> str:
    """The report as a reStructuredText fragment to include in a page: a summary line and a list-table that links every
    rule with ``:rule:`` (spec: ``conformance/rst``).

    Example::

        from tinyio.conformance import RuleResult, format_rst

        rst = format_rst([RuleResult("gather/order", "fail", 0, 1, "AssertionError: `x`", "t::a")], "tinyio 0.4.0")
        assert ".. list-table::" in rst and ":rule:`gather/order`" in rst and "``AssertionError: 'x'``" in rst
    """
    lines = [
        ".. This file is generated by `python -m tinyio.conformance ... --rst-out`; do not edit it by hand.",
        "",
        f"{title}: {_summary(results)}.",
        "",
        f".. list-table:: Conformance of {title}",
        "   :header-rows: 1",
        "   :widths: 30 15 10 45",
        "",
        "   * - Rule",
        "     - Result",
        "     - Tests passed",
        "     - First difference",
    ]
    for r in results:
        lines += [
            f"   * - :rule:`{r.rule}`",
            f"     - {r.status}",
            f"     - {r.passed}/{r.total}",
            f"     - {_literal(r.first_difference)}".rstrip(),
        ]
    return "\n".join(lines) + "\n"
