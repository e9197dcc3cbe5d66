"""The spec's rule IDs, read from ``spec/``: shared by ``conftest.py`` and the traceability meta-test.

A rule is a line ``.. rule:: area/name`` at column 0 of a ``spec/*.rst`` file. While the draft rule list
``spec/RULES-DRAFT.md`` exists, its IDs count too (bullet lines ``- area/name: ...`` and comma lists of IDs such as
``- inv/a, inv/b (...)``), so the tests can cite rules before the ``.rst`` files land.
"""

from __future__ import annotations

import pathlib
import re

ROOT = pathlib.Path(__file__).resolve().parent.parent
SPEC = ROOT / "spec"
DRAFT = SPEC / "RULES-DRAFT.md"

RULE_ID = re.compile(r"[a-z0-9-]+/[a-z0-9-]+")
_RST_RULE = re.compile(r"^\.\. rule:: *(\S+)\s*$", re.MULTILINE)


def rst_rules(spec: pathlib.Path = SPEC) -> dict[str, str]:
    """Every ``.. rule:: ID`` in ``spec/*.rst`` (recursively), mapped to ``file:line``."""
    rules: dict[str, str] = {}
    for path in sorted(spec.rglob("*.rst")):
        text = path.read_text(encoding="utf-8")
        for match in _RST_RULE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            rules.setdefault(match.group(1), f"{path.relative_to(spec.parent)}:{line}")
    return rules


def draft_rules(draft: pathlib.Path = DRAFT) -> dict[str, str]:
    """The IDs of the draft list: the comma-separated IDs that head each bullet, before its first colon."""
    if not draft.exists():
        return {}
    items: list[tuple[int, str]] = []
    in_code = False
    for number, line in enumerate(draft.read_text(encoding="utf-8").splitlines(), start=1):
        if line.startswith("```"):
            in_code = not in_code
        elif in_code:
            continue
        elif line.startswith("- "):
            items.append((number, line[2:]))
        elif line.startswith("  ") and items:
            items[-1] = (items[-1][0], items[-1][1] + " " + line.strip())
        else:
            items.append((number, ""))  # anything else ends the bullet
    rules: dict[str, str] = {}
    for number, item in items:
        previous = None
        while previous != item:  # drop parentheticals, innermost first
            previous, item = item, re.sub(r"\([^()]*\)", "", item)
        head = item.split(":", 1)[0]
        for token in head.split(","):
            token = token.strip().rstrip(".;").strip()
            if RULE_ID.fullmatch(token):
                rules.setdefault(token, f"{draft.relative_to(draft.parent.parent)}:{number}")
    return rules


def known_rules() -> dict[str, str]:
    """Every rule ID of the spec (the ``.rst`` files, plus the draft while it exists), mapped to where it is."""
    rules = draft_rules()
    rules.update(rst_rules())
    return rules


def matches(pattern: str, rules: dict[str, str] | set[str]) -> bool:
    """Whether ``pattern`` names a rule: an exact ID, or ``area/*`` / ``area/prefix*`` matching at least one."""
    if "*" not in pattern:
        return pattern in rules
    regex = re.compile(re.escape(pattern).replace(r"\*", "[a-z0-9-]*") + r"\Z")
    return any(regex.match(rule) for rule in rules)
