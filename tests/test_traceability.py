"""The traceability meta-test: spec, tests and code name the same rules.

- every rule of ``spec/`` is cited by at least one test (``@pytest.mark.spec("area/name")``);
- no test cites a rule that does not exist (``conftest.py`` also refuses to collect such a test);
- every ``# spec: area/name`` comment (and ``spec: ``area/name```` in docstrings) of ``tinyio/`` names a rule;
  ``area/*`` and ``area/prefix*`` are allowed when they match at least one rule.

The citations are read by collecting the whole ``tests/`` directory in a subprocess, so the result does not depend on
which tests the current run selected.
"""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

from _rules import DRAFT, ROOT, draft_rules, known_rules, matches, rst_rules

CODE_CITATION = re.compile(r"#\s*spec:\s*(.*)$|spec:\s*``([^`]+)``")
ID_OR_PATTERN = re.compile(r"\s*([a-z0-9-]+/[a-z0-9*-]+)")


def collect_citations(tmp_path: pathlib.Path) -> dict[str, object]:
    out = tmp_path / "citations.json"
    env = {key: value for key, value in os.environ.items() if not key.startswith(("COV_CORE", "COVERAGE_", "PYTEST_"))}
    command = [
        sys.executable, "-m", "pytest", "--collect-only", "-q", "-o", "addopts=", "-p", "no:cacheprovider",
        "-p", "no:cov", f"--spec-citations={out}", str(ROOT / "tests"),
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.exists(), f"collecting the tests failed:\n{proc.stdout}\n{proc.stderr}"
    data: dict[str, object] = json.loads(out.read_text(encoding="utf-8"))
    data["returncode"], data["output"] = proc.returncode, proc.stdout + proc.stderr
    return data


@pytest.fixture(scope="module")
def collected(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    return collect_citations(tmp_path_factory.mktemp("traceability"))


def test_the_spec_has_rules() -> None:
    rules = known_rules()
    assert len(rules) >= 50, f"only {len(rules)} rules found in spec/; is the parser reading the right files?"
    for rule in rules:
        assert re.fullmatch(r"[a-z0-9-]+/[a-z0-9-]+", rule), rule


def test_every_rule_is_defined_once() -> None:
    seen: dict[str, str] = {}
    duplicates = []
    for path in sorted((ROOT / "spec").rglob("*.rst")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if line.startswith(".. rule::"):
                rule = line.split("::", 1)[1].strip()
                if rule in seen:
                    duplicates.append(f"{rule}: {seen[rule]} and {path.name}:{number}")
                seen[rule] = f"{path.name}:{number}"
    assert not duplicates, "rules defined twice:\n" + "\n".join(duplicates)


def test_the_draft_parser_reads_bullets_and_comma_lists(tmp_path: pathlib.Path) -> None:
    draft = tmp_path / "spec" / "RULES-DRAFT.md"
    draft.parent.mkdir()
    draft.write_text(
        "Intro mentions `area/name` and misuse/run-argument-like words.\n"
        "```rst\n.. rule:: code/block\n```\n"
        "## x\n- sched/fifo: one queue (not misuse/tuple), see sched/other.\n"
        "- threads/result, threads/error: as above.\n"
        "- inv/a, inv/b (with, commas: and colons),\n  inv/c (more), inv/d (last).\n"
        "- start order inside a set; which thread finishes first\n",
        encoding="utf-8",
    )
    assert sorted(draft_rules(draft)) == [
        "inv/a", "inv/b", "inv/c", "inv/d", "sched/fifo", "threads/error", "threads/result",
    ]  # fmt: skip


def test_no_test_cites_an_unknown_rule(collected: dict[str, object]) -> None:
    assert collected["problems"] == [], collected["output"]
    assert collected["returncode"] == 0, collected["output"]


def test_every_rule_is_cited_by_a_test(collected: dict[str, object]) -> None:
    cited = collected["cited"]
    assert isinstance(cited, dict)
    rules = known_rules()
    uncited = sorted(f"{rule} ({where})" for rule, where in rules.items() if rule not in cited)
    assert not uncited, f"{len(uncited)} spec rules are cited by no test:\n  " + "\n  ".join(uncited)


def code_citations() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted((ROOT / "tinyio").rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            for match in CODE_CITATION.finditer(line):
                text = match.group(1) if match.group(1) is not None else match.group(2)
                for part in text.split(","):
                    head = ID_OR_PATTERN.match(part)
                    if head is None:
                        break  # the prose after the IDs
                    if head.group(1) != "area/name":  # the placeholder where the convention is explained
                        found.append((str(path.relative_to(ROOT)), number, head.group(1)))
    return found


def test_code_cites_only_known_rules() -> None:
    rules = known_rules()
    found = code_citations()
    assert len(found) >= 20, "too few `# spec:` citations found in tinyio/; is the pattern right?"
    unknown = [f"{path}:{number}: {rule}" for path, number, rule in found if not matches(rule, rules)]
    assert not unknown, "tinyio/ cites rules that are not in spec/:\n  " + "\n  ".join(unknown)


def test_matches_wildcards() -> None:
    rules = {"misuse/tuple", "misuse/yield", "gather/order"}
    assert matches("misuse/*", rules)
    assert matches("gather/ord*", rules)
    assert matches("gather/order", rules)
    assert not matches("cancel/*", rules)
    assert not matches("gather/orde", rules)
