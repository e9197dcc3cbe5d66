"""Runnable examples in Sphinx: show what an example really prints, and pictures that may not exist yet.

``.. example-output:: examples/first_coroutine.py`` runs the example with the interpreter that builds the docs, at
build time, and shows what it printed (stdout and stderr, interleaved as a terminal shows them). So a page never shows
output the code does not produce: the output is *made* by the code. The repository's root is removed from paths, so
a traceback reads ``File "examples/failure.py", line 9`` on every machine. An example that exits with another status
than ``:returncode:`` (default 0) is a warning, so a ``-W`` build fails on it.

``.. optional-include:: _generated/x.rst`` includes a generated page fragment (a report another tool writes) if it
exists. ``.. optional-image:: ../benchmarks/results/ratios.png`` shows a picture made by another part of the project (the
benchmarks) if it exists, and otherwise a short note saying how to make it, so the docs build before the benchmarks
have run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from docutils.parsers.rst.directives.images import Image
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]  # the repository: docs/_ext/ -> docs/ -> root


def run_example(path: Path, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """Run an example as a user would (``python examples/x.py`` from the repository root); stderr joins stdout."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1", PYTHONUNBUFFERED="1")
    env.pop("PYTHONWARNINGS", None)
    return subprocess.run(
        [sys.executable, str(path.relative_to(ROOT))],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=timeout,
    )


def tidy(output: str) -> str:
    """Paths relative to the repository, as a reader of the docs would recognise them."""
    return output.replace(str(ROOT) + os.sep, "").rstrip() + "\n"


class ExampleOutput(SphinxDirective):
    """``.. example-output:: examples/name.py`` with options ``:returncode:`` and ``:language:``."""

    required_arguments = 1
    has_content = False
    option_spec = {
        "returncode": directives.nonnegative_int,
        "language": directives.unchanged,
        "caption": directives.unchanged,
    }

    def run(self) -> list[nodes.Node]:
        path = (ROOT / self.arguments[0]).resolve()
        if not path.is_file():
            logger.warning("example-output: no such example %s", self.arguments[0], location=self.get_location())
            return []
        self.env.note_dependency(str(path))
        result = run_example(path)
        expected = self.options.get("returncode", 0)
        if result.returncode != expected:
            logger.warning(
                "example-output: %s exited with status %d (expected %d); it printed:\n%s",
                self.arguments[0],
                result.returncode,
                expected,
                result.stdout,
                location=self.get_location(),
            )
        text = tidy(result.stdout)
        block = nodes.literal_block(text, text, classes=["tinyio-output"])
        block["language"] = self.options.get("language", "text")
        self.set_source_info(block)
        caption = self.options.get("caption", f"Output of python {self.arguments[0]}")
        container = nodes.container("", literal_block=True, classes=["literal-block-wrapper"])
        title = nodes.caption(caption, caption)
        self.set_source_info(title)
        container += title
        container += block
        return [container]


class OptionalImage(Image):
    """An ``image`` that is replaced by a note when its file does not exist (yet)."""

    option_spec = dict(Image.option_spec, missing=directives.unchanged)

    def run(self) -> list[nodes.Node]:
        env = self.state.document.settings.env
        source_dir = Path(env.doc2path(env.docname)).parent
        target = (source_dir / self.arguments[0]).resolve()
        if target.is_file():
            return super().run()
        note = self.options.get("missing", f"This picture ({self.arguments[0]}) has not been generated yet.")
        paragraph = nodes.paragraph(note, note)
        return [nodes.note("", paragraph)]


class OptionalInclude(SphinxDirective):
    """``.. optional-include:: _generated/report.rst``: include a generated reStructuredText file if it exists."""

    required_arguments = 1
    option_spec = {"missing": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        source_dir = Path(self.env.doc2path(self.env.docname)).parent
        path = (source_dir / self.arguments[0]).resolve()
        if not path.is_file():
            note = self.options.get("missing", f"({self.arguments[0]} has not been generated yet.)")
            return [nodes.note("", nodes.paragraph(note, note))]
        self.env.note_dependency(str(path))
        lines = path.read_text(encoding="utf-8").splitlines()
        self.state_machine.insert_input(lines, str(path))
        return []


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("optional-include", OptionalInclude)
    app.add_directive("example-output", ExampleOutput)
    app.add_directive("optional-image", OptionalImage)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
