"""Failures the state machines found, kept as explicit tests (each names the rule it broke)."""

from __future__ import annotations

import pytest

import tinyio


@pytest.mark.spec("background/start", "misuse/cycle")
def test_spawning_a_running_coroutine_is_left_alone_not_a_cycle() -> None:
    # Found by the state machine: `yield {me}` (or `{parent}`) raised "awaits itself" although a set waits for
    # nothing. background/start: elements already running are left alone.
    log = []

    def child(parent_box: list[object]) -> tinyio.Coro[str]:
        yield {parent_box[0]}  # the parent waits on us; spawning it must not be a cycle
        log.append("child resumed")
        return "child"

    def main() -> tinyio.Coro[object]:
        me = box[0]
        yield {me}
        log.append("main resumed")
        return (yield child(box))

    box: list[object] = []
    coro = main()
    box.append(coro)
    assert tinyio.Loop().run(coro) == "child"
    assert log == ["main resumed", "child resumed"]
