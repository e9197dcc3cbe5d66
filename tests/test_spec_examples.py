"""Run every example of the spec: each ``.. code-block:: python`` nested under a ``.. rule:: area/name``.

The spec is the source of truth, so its examples must be true of the implementation. Each example runs in a fresh
namespace as its own test, marked with the rule it illustrates (``pytest.mark.spec(ID)``), so a rule whose example
fails is named in the report. The parser only relies on indentation, like reStructuredText itself: a directive's body
is every following line that is blank or indented deeper than the directive.
"""

from __future__ import annotations

import linecache
import re
import textwrap
import traceback
from pathlib import Path

import pytest

SPEC_DIR = Path(__file__).resolve().parent.parent / "spec"
RULE = re.compile(r"^(?P<indent>)\.\.\s+rule::\s+(?P<id>\S+)\s*$")
CODE = re.compile(r"^(?P<indent>\s*)\.\.\s+(?:code-block|code|sourcecode)::\s+python3?\s*$")
OPTION = re.compile(r"^\s*:[\w-]+:")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _body(lines: list[str], start: int, indent: int) -> tuple[list[str], int]:
    """The lines after ``lines[start]`` that belong to a directive at ``indent``; and the index after them."""
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    return lines[start + 1 : end], end


def examples(text: str) -> list[tuple[str, str]]:
    """``(rule ID, code)`` for every python code-block nested under a rule, in document order."""
    found: list[tuple[str, str]] = []
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        rule = RULE.match(lines[index])
        if rule is None:
            index += 1
            continue
        body, index = _body(lines, index, len(rule["indent"]))
        inner = 0
        while inner < len(body):
            code = CODE.match(body[inner])
            if code is None:
                inner += 1
                continue
            block, inner = _body(body, inner, len(code["indent"]))
            while block and (not block[0].strip() or OPTION.match(block[0])):
                block = block[1:]
            found.append((rule["id"], textwrap.dedent("\n".join(block)).strip() + "\n"))
    return found


def _cases() -> list[object]:
    cases: list[object] = []
    for path in sorted(SPEC_DIR.glob("*.rst")):
        counts: dict[str, int] = {}
        for rule_id, code in examples(path.read_text(encoding="utf-8")):
            counts[rule_id] = counts.get(rule_id, 0) + 1
            case_id = rule_id if counts[rule_id] == 1 else f"{rule_id}#{counts[rule_id]}"
            marks = [pytest.mark.spec(rule_id)]
            cases.append(pytest.param(code, rule_id, marks=marks, id=case_id))
    return cases


def test_parser_finds_nested_examples() -> None:
    text = textwrap.dedent(
        """
        .. rule:: area/one

           Statement.

           .. code-block:: python
              :caption: options are skipped

              x = 1

                  # indented deeper is still the block
              assert x == 1

           More prose.

        Outside any rule.

        .. code-block:: python

           not collected
        """
    )
    assert examples(text) == [("area/one", "x = 1\n\n    # indented deeper is still the block\nassert x == 1\n")]


@pytest.mark.parametrize(("code", "rule_id"), _cases())
def test_spec_example(code: str, rule_id: str) -> None:
    namespace = {"__name__": f"spec_example_{rule_id.replace('/', '_').replace('-', '_')}"}
    filename = f"<example of {rule_id}>"
    # Register the source, so that tracebacks (and the conformance kit's first difference) show the failing line.
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    try:
        exec(compile(code, filename, "exec"), namespace)
    except BaseException:  # noqa: BLE001 — report any failure, KeyboardInterrupt-like ones included, with the rule
        pytest.fail(
            f"the example of spec rule {rule_id} failed:\n\n{textwrap.indent(code, '    ')}\n{traceback.format_exc()}",
            pytrace=False,
        )
