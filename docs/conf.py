"""Sphinx configuration of tinyio's documentation. Build: ``sphinx-build -W -b html docs docs/_build/html``."""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))
sys.path.insert(0, str(ROOT))  # document the tinyio of this checkout, installed or not

import tinyio  # noqa: E402

project = "tinyio"
author = "the tinyio developers"
copyright = "the tinyio developers"
release = version = getattr(tinyio, "__version__", "0.5.0.dev0")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "tinyio_rules",
    "tinyio_examples",
    "tinyio_api",
    "tinyio_diagrams",
]

# spec/ (the normative rules, owned by the spec) is part of the site through the symlink docs/spec -> ../spec; every
# spec/*.rst is picked up by the glob in reference/spec.rst, so a new spec file needs no change here.
exclude_patterns = ["_build", "spec/*.md", ".venv", "_generated"]  # _generated/: fragments included by pages
root_doc = "index"
default_role = "py:obj"
nitpicky = False  # typing internals (Generator[Any, Any, T], ParamSpec) have no page to link to without intersphinx

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
add_module_names = True
python_use_unqualified_type_names = True

html_theme = "furo"
html_title = "tinyio"
html_static_path = ["_static"]
html_css_files = ["tinyio.css"]
html_theme_options = {"navigation_with_keys": True}
html_show_sourcelink = False

# spec/index.rst ends its toctree with glob patterns that pick up spec pages still to be written (sync, pool, ...);
# until they exist the patterns match nothing, which is expected, not a mistake.
suppress_warnings = ["toc.empty_glob"]


# Signatures as a reader writes them: a coroutine type is ``Coro[T]`` (the public alias of ``Generator[Any, Any, T]``),
# and the type variables of run_in_thread read ``P``/``R`` rather than private names.
_SIGNATURE_FIXES = [
    (re.compile(r"~?(?:collections\.abc|typing)\.Generator\[~?typing\.Any, ~?typing\.Any, "), "~tinyio.Coro["),
    (re.compile(r"\[\[~?_P\], "), "[P, "),
    (re.compile(r"\*args: ~typing\.~_P"), "*args: P.args"),
    (re.compile(r"\*\*kwargs: ~typing\.~_P"), "**kwargs: P.kwargs"),
    (re.compile(r"~?_P\b"), "P"),
    (re.compile(r"~?(?:tinyio\._\w+\.)?_R\b"), "R"),
    (re.compile(r"~?(?:tinyio\._\w+\.)?_T\b"), "T"),
    (re.compile(r"~tinyio\._\w+\.(\w+)"), r"~tinyio.\1"),
]


def _tidy(text: str | None) -> str | None:
    if not text:
        return text
    for pattern, replacement in _SIGNATURE_FIXES:
        text = pattern.sub(replacement, text)
    return text


def _tidy_signature(app, what, name, obj, options, signature, return_annotation):  # type: ignore[no-untyped-def]
    if name == "tinyio.Loop.runtime" and return_annotation:  # a @contextmanager: its annotation is the generator's
        return_annotation = re.sub(r"^~?(?:collections\.abc|typing)\.Iterator\[", "~contextlib.AbstractContextManager[", return_annotation)
    return _tidy(signature), _tidy(return_annotation)


def _docstring_of_reexported_data(app, what, name, obj, options, lines):  # type: ignore[no-untyped-def]
    """A type alias re-exported by ``tinyio/__init__.py`` keeps its docstring in the module that defines it."""
    if what != "data" or not name.startswith("tinyio.") or any(line.strip() for line in lines[:1]):
        return
    from sphinx.pycode import ModuleAnalyzer

    attr = name.rsplit(".", 1)[1]
    for module in sorted(m for m in sys.modules if m.startswith("tinyio._")):
        docs = ModuleAnalyzer.for_module(module).find_attr_docs().get(("", attr))
        if docs:
            lines[:0] = [*docs, ""]
            return


def setup(app):  # type: ignore[no-untyped-def]
    app.connect("autodoc-process-signature", _tidy_signature)
    app.connect("autodoc-process-docstring", _docstring_of_reexported_data)
