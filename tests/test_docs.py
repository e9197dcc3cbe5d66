"""The documentation is true: every example runs and prints what the pages say, and the site builds without a warning.

- Every ``examples/*.py`` runs as a user would run it (``python examples/x.py`` from the repository root). An example
  may end with an ``# Expected output:`` block (comment lines; ``...`` matches anything, as in doctest) and may declare
  ``# Expected exit status: N``; the pages include the code above that block with ``literalinclude`` and show the
  output that the build itself produces by running the example (``docs/_ext/tinyio_examples.py``).
- The site builds with ``sphinx-build -W --keep-going``: an unknown ``:rule:`` ID, a broken reference, an example that
  exits with the wrong status or a missing page is an error.
- Every public name (``tinyio.__all__``, and ``__all__`` of public submodules) is in the built objects inventory, and
  so is every rule of ``spec/``, at its stable anchor ``rule-<area>-<name>``.
"""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import inspect
import pkgutil
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))

sys.path.insert(0, str(DOCS / "_ext"))
from tinyio_examples import run_example, tidy  # noqa: E402

HAS_SPHINX = importlib.util.find_spec("sphinx") is not None
needs_sphinx = pytest.mark.skipif(
    not HAS_SPHINX, reason="sphinx is not installed: pip install -e '.[docs]' to build and check the documentation site"
)

EXPECTED_OUTPUT = "# Expected output:"
REQUIRES = re.compile(r"^# Requires: ([\w.]+)$", re.MULTILINE)
EXIT_STATUS = re.compile(r"^# Expected exit status: (\d+)$", re.MULTILINE)


def expectations(source: str) -> tuple[str | None, int]:
    """The output an example declares (``None``: not checked) and its exit status."""
    status = EXIT_STATUS.search(source)
    code = int(status.group(1)) if status else 0
    if EXPECTED_OUTPUT not in source:
        return None, code
    block = source.split(EXPECTED_OUTPUT, 1)[1].splitlines()[1:]
    lines = []
    for line in block:
        if not line.startswith("#"):
            assert not line.strip(), f"only comment lines may follow {EXPECTED_OUTPUT!r}, got {line!r}"
            continue
        lines.append(line[2:] if line.startswith("# ") else line[1:])
    return "\n".join(lines).rstrip() + "\n", code


def test_expectations_parser() -> None:
    source = "print(1)\n# Expected exit status: 1\n" + EXPECTED_OUTPUT + "\n# one\n#\n#   two\n"
    assert expectations(source) == ("one\n\n  two\n", 1)
    assert expectations("print(1)\n") == (None, 0)


@pytest.mark.parametrize("example", EXAMPLES, ids=[path.name for path in EXAMPLES])
def test_example_runs_and_prints_what_it_says(example: Path) -> None:
    source = example.read_text(encoding="utf-8")
    for module in REQUIRES.findall(source):  # an optional dependency of the example (the test extra installs it)
        pytest.importorskip(module, reason=f"{example.name} needs {module}: pip install -e '.[test]'")
    want, status = expectations(source)
    result = run_example(example)
    got = tidy(result.stdout)
    assert result.returncode == status, f"{example.name} exited with {result.returncode}, not {status}:\n{got}"
    if want is not None:
        checker = doctest.OutputChecker()
        flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
        assert checker.check_output(want, got, flags), (
            f"{example.name} printed something else than its '# Expected output:' block.\n"
            + checker.output_difference(doctest.Example("", want), got, flags)
        )


# The tutorial's pytest example is a test file: its tests are collected here, so they run with the plugin, as they
# would in a user's suite.
sys.path.insert(0, str(ROOT / "examples"))
from tutorial_test_plugin import test_retry_gives_up as test_tutorial_plugin_example_gives_up  # noqa: E402
from tutorial_test_plugin import (  # noqa: E402
    test_retry_waits_between_attempts as test_tutorial_plugin_example_waits,
)


def test_examples_exist() -> None:
    assert len(EXAMPLES) >= 5, "the pages include examples/*.py; did they move?"


# ------------------------------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole site, built once for this module, warnings as errors."""
    out = tmp_path_factory.mktemp("html")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-E", "-j", "auto", "-b", "html", str(DOCS), str(out),
         "-d", str(out / ".doctrees")],  # fmt: skip
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"sphinx-build -W failed:\n{result.stdout}\n{result.stderr}"
    return out


def inventory(site: Path) -> dict[str, dict[str, str]]:
    """``{type: {name: uri}}`` from the site's ``objects.inv``."""
    from sphinx.util.inventory import InventoryFile

    with open(site / "objects.inv", "rb") as file:
        loaded = InventoryFile.load(file, "", lambda base, uri: uri)
    data = getattr(loaded, "data", loaded)  # Sphinx >= 8.2 returns an object with .data
    return {kind: {name: _uri(item) for name, item in items.items()} for kind, items in data.items()}


def _uri(item: object) -> str:
    uri = getattr(item, "uri", None)  # Sphinx >= 8.2; older ones give a tuple (project, version, uri, display name)
    return uri if isinstance(uri, str) else item[2]  # type: ignore[index,no-any-return]


def public_names() -> list[str]:
    """Every public name: ``tinyio.__all__`` and the ``__all__`` of each public submodule (``tinyio.testing``, ...)."""
    import tinyio

    names = [f"tinyio.{name}" for name in tinyio.__all__]
    for module in pkgutil.iter_modules(tinyio.__path__):
        if not module.name.startswith("_"):
            sub = importlib.import_module(f"tinyio.{module.name}")
            names += [f"tinyio.{module.name}.{name}" for name in getattr(sub, "__all__", [])]
    return names


@needs_sphinx
def test_site_builds_without_warnings(site: Path) -> None:
    for page in ["index", "tutorial/index", "howto/index", "explanation/index", "reference/api", "spec/index"]:
        assert (site / f"{page}.html").is_file(), page


@needs_sphinx
def test_every_public_name_is_documented(site: Path) -> None:
    documented = {name for kind, items in inventory(site).items() if kind.startswith("py:") for name in items}
    missing = [name for name in public_names() if name not in documented]
    assert not missing, f"public names with no entry in docs/reference/api.rst: {missing}"


@needs_sphinx
def test_every_rule_has_its_stable_anchor(site: Path) -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    from tinyio_rules import anchor_of

    rules_in_spec = set()
    for path in (ROOT / "spec").glob("*.rst"):
        rules_in_spec |= set(re.findall(r"^\.\. rule:: (\S+)\s*$", path.read_text(encoding="utf-8"), re.MULTILINE))
    assert rules_in_spec, "no rules found in spec/"
    rendered = inventory(site).get("rule:rule", {})
    assert set(rendered) == rules_in_spec
    for rule, uri in rendered.items():
        page, _, anchor = uri.partition("#")
        assert page.startswith("spec/") and anchor == anchor_of(rule), (rule, uri)
        assert f'id="{anchor}"' in (site / page).read_text(encoding="utf-8"), (rule, uri)
    assert anchor_of("gather/order") == "rule-gather-order"  # the form the README and other sites rely on


# ------------------------------------------------------------------------------------------ the extension


def build_tiny_site(tmp_path: Path, pages: dict[str, str]) -> subprocess.CompletedProcess[str]:
    src = tmp_path / "src"
    src.mkdir(parents=True)
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(DOCS / '_ext')!r})\nextensions = ['tinyio_rules']\n", encoding="utf-8"
    )
    for name, text in pages.items():
        (src / f"{name}.rst").write_text(textwrap.dedent(text), encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )


@needs_sphinx
def test_rule_role_links_across_pages_and_unknown_ids_fail_the_build(tmp_path: Path) -> None:
    good = build_tiny_site(
        tmp_path / "good",
        {
            "index": """
                Home
                ====

                See :rule:`x/one` and :rule:`the second rule <x/two-b>`; ``x/one`` as a literal links too.

                .. toctree::

                   rules
            """,
            "rules": """
                Rules
                =====

                .. rule:: x/one

                   Statement one.

                .. rule:: x/two-b

                   Statement two.
            """,
        },
    )
    assert good.returncode == 0, good.stderr
    index = (tmp_path / "good" / "out" / "index.html").read_text(encoding="utf-8")
    assert index.count('href="rules.html#rule-x-one"') == 2  # the role and the bare literal
    assert 'href="rules.html#rule-x-two-b"' in index and "the second rule" in index
    rules = (tmp_path / "good" / "out" / "rules.html").read_text(encoding="utf-8")
    assert 'id="rule-x-one"' in rules and "Statement one." in rules
    genindex = (tmp_path / "good" / "out" / "genindex.html").read_text(encoding="utf-8")
    assert "x/one (rule)" in genindex

    bad = build_tiny_site(tmp_path / "bad", {"index": "Home\n====\n\nSee :rule:`x/nowhere`.\n"})
    assert bad.returncode != 0
    assert "unknown spec rule 'x/nowhere'" in bad.stderr

    twice = build_tiny_site(tmp_path / "twice", {"index": "Home\n====\n\n.. rule:: x/a\n\n   A.\n\n.. rule:: x/a\n\n   B.\n"})
    assert twice.returncode != 0 and "defined twice" in twice.stderr


def test_asyncio_and_tinyio_versions_print_the_same() -> None:
    # docs/howto/from-asyncio.rst shows the two programs side by side and says so.
    before, after = (run_example(ROOT / "examples" / f"howto_asyncio_{name}.py") for name in ("before", "after"))
    assert before.returncode == after.returncode == 0
    assert before.stdout == after.stdout


# ------------------------------------------------------------------------------------ the docstrings' examples


def documented_objects() -> list[tuple[str, object]]:
    """What docs/reference/api.rst renders: the public names, their public methods, and the public submodules."""
    import tinyio

    found: list[tuple[str, object]] = []

    def add(name: str, obj: object) -> None:
        found.append((name, obj))
        if inspect.isclass(obj):
            for attr, member in vars(obj).items():
                if not attr.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                    found.append((f"{name}.{attr}", member))

    for name in tinyio.__all__:
        add(f"tinyio.{name}", getattr(tinyio, name))
    for info in pkgutil.iter_modules(tinyio.__path__):
        if not info.name.startswith("_"):
            module = importlib.import_module(f"tinyio.{info.name}")
            found.append((module.__name__, module))
            for name in getattr(module, "__all__", []):
                add(f"{module.__name__}.{name}", getattr(module, name))
    return found


def docstring_examples() -> list[tuple[str, str, dict[str, object]]]:
    """``(name, code, namespace)`` for every ``Example::`` block of a documented docstring (not the shell ones)."""
    import tinyio

    cases = []
    for name, obj in documented_objects():
        doc = obj.__doc__ if inspect.ismodule(obj) else inspect.getdoc(obj)
        if not isinstance(doc, str) or (not inspect.ismodule(obj) and doc == inspect.getdoc(type(obj))):
            continue
        lines = doc.splitlines()
        module = obj if inspect.ismodule(obj) else sys.modules.get(getattr(obj, "__module__", "") or "", tinyio)
        for index, line in enumerate(lines):
            head = line.strip()
            if not (head.startswith("Example") and head.endswith("::")) or "shell" in head:
                continue
            indent = len(line) - len(line.lstrip())
            body = []
            for following in lines[index + 1 :]:
                if following.strip() and len(following) - len(following.lstrip()) <= indent:
                    break
                body.append(following)
            # Run as if written in the module that documents it, with ``tinyio`` imported, as its reader would.
            namespace = {**vars(module), "tinyio": tinyio, "__name__": "__docstring_example__"}
            cases.append((name, textwrap.dedent("\n".join(body)).strip() + "\n", namespace))
    return cases


DOCSTRING_EXAMPLES = docstring_examples()


def test_docstrings_have_examples() -> None:
    assert len(DOCSTRING_EXAMPLES) >= 10


@pytest.mark.parametrize(
    ("name", "code", "namespace"), DOCSTRING_EXAMPLES, ids=[f"{case[0]}-{i}" for i, case in enumerate(DOCSTRING_EXAMPLES)]
)
def test_docstring_example_runs(name: str, code: str, namespace: dict[str, object]) -> None:
    exec(compile(code, f"<docstring example of {name}>", "exec"), dict(namespace))
