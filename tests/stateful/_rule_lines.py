"""Which rules of spec/model.py a run exercised: the lines tagged ``# rule: area/name``, traced while it runs."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

MODEL = Path(__file__).resolve().parents[2] / "spec" / "model.py"
_TAG = re.compile(r"#\s*rule:\s*([a-z0-9/ ,-]+?)(?:\s+[—(]|$)")


def tagged_lines() -> dict[int, list[str]]:
    """Line that must run -> the rules tagged there. A tag on a block header counts when the block's body runs."""
    lines = MODEL.read_text().splitlines()
    found: dict[int, list[str]] = {}
    for index, line in enumerate(lines):
        match = _TAG.search(line)
        if not match:
            continue
        rules = [r.strip() for r in match.group(1).split(",") if "/" in r]
        code = line.split("#", 1)[0].strip()
        target = index
        if not code or code.endswith(":"):  # a comment line or a block header: its body's first line must run
            target = index + 1
            while target < len(lines) and (not lines[target].strip() or lines[target].strip().startswith("#")):
                target += 1
        found.setdefault(target + 1, []).extend(rules)
    return found


@contextmanager
def tracing() -> Iterator[set[int]]:
    """Record the lines of spec/model.py that run inside the block."""
    hit: set[int] = set()
    filename = str(MODEL)

    def local(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            hit.add(frame.f_lineno)
        return local

    def global_(frame: FrameType, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename == filename:
            return local
        return None

    previous = sys.gettrace()
    sys.settrace(global_)
    try:
        yield hit
    finally:
        sys.settrace(previous)
