"""The API reference keeps up with the code by itself.

``.. tinyio-names:: Semaphore Lock Barrier`` documents, with the right autodoc directive (class, exception, function
or data), each of the listed names that ``tinyio`` exports today, and skips silently the ones it does not export yet.
So the curated reference page can list the whole planned API in reading order, and a name appears the day it lands.

``.. tinyio-submodules::`` documents every public submodule of tinyio (``tinyio.testing``, ...) with
``automodule`` and its ``__all__``.

``tests/test_docs.py`` checks the other direction: every name in ``tinyio.__all__`` and in the ``__all__`` of each
public submodule ends up in the built inventory, so a new public name that no page lists fails the build's test.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import typing
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles


def _directive_for(obj: object) -> tuple[str, list[str]]:
    if typing.get_origin(obj) is not None or type(obj).__name__ == "TypeAliasType":  # Coro[T] and friends
        return "autodata", [":annotation:"]
    if inspect.isclass(obj):
        if issubclass(obj, BaseException):
            return "autoexception", []
        return "autoclass", [":members:"]
    if callable(obj):
        return "autofunction", []
    return "autodata", [":annotation:"]


class TinyioNames(SphinxDirective):
    required_arguments = 1
    final_argument_whitespace = True
    has_content = False

    def run(self) -> list[nodes.Node]:
        import tinyio

        lines: list[str] = []
        for name in self.arguments[0].split():
            if name not in getattr(tinyio, "__all__", ()):
                continue
            directive, options = _directive_for(getattr(tinyio, name))
            lines += [f".. {directive}:: tinyio.{name}", *(f"   {option}" for option in options), ""]
        return self._parse(lines)

    def _parse(self, lines: list[str]) -> list[nodes.Node]:
        node = nodes.section()
        node.document = self.state.document
        nested_parse_with_titles(self.state, StringList(lines, source=self.get_source_info()[0]), node)
        return node.children


class TinyioSubmodules(TinyioNames):
    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        import tinyio

        lines: list[str] = []
        for info in sorted(pkgutil.iter_modules(tinyio.__path__), key=lambda info: info.name):
            if info.name.startswith("_"):
                continue
            module = importlib.import_module(f"tinyio.{info.name}")
            title = f"``tinyio.{info.name}``"
            lines += [title, "-" * len(title), "", f".. automodule:: tinyio.{info.name}", ""]
            names = getattr(module, "__all__", None)
            if names is None:
                lines += ["   :members:", ""]
                continue
            # One directive per name of __all__, so that constants without a docstring of their own (which
            # automodule's :members: leaves out) are documented too: every name of __all__ is public.
            for name in names:
                directive, options = _directive_for(getattr(module, name))
                if directive == "autoclass":
                    options = [*options, ":undoc-members:"]
                lines += [f".. {directive}:: tinyio.{info.name}.{name}", *(f"   {option}" for option in options), ""]
        return self._parse(lines)


class TinyioModules(TinyioNames):
    """``.. tinyio-modules::``: every module of the package with the first paragraph of its docstring."""

    required_arguments = 0

    def run(self) -> list[nodes.Node]:
        import tinyio

        lines: list[str] = []
        for info in sorted(pkgutil.iter_modules(tinyio.__path__), key=lambda info: (not info.name.startswith("_"), info.name)):
            module = importlib.import_module(f"tinyio.{info.name}")
            doc = inspect.cleandoc(module.__doc__ or "").split("\n\n", 1)[0]
            path = f"tinyio/{info.name}/" if info.ispkg else f"tinyio/{info.name}.py"
            lines += [f"``{path}``", *(f"   {line}" for line in doc.splitlines()), ""]
        return self._parse(lines)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("tinyio-modules", TinyioModules)
    app.add_directive("tinyio-names", TinyioNames)
    app.add_directive("tinyio-submodules", TinyioSubmodules)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
