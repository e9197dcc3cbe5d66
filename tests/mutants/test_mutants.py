"""The checker bites: the state machines of tests/stateful find every mutant of tests/mutants/mutants.py quickly."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis.stateful import run_state_machine_as_test
from machines import program_machine
from mutants import MUTANTS, Mutant, load

# The budget per mutant: the machines must find it within this many examples (derandomized, so CI is reproducible).
BUDGET = settings(
    max_examples=300,
    stateful_step_count=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.generate],  # no shrinking: finding it is enough
    report_multiple_bugs=False,
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)


@pytest.mark.spec("sched/fifo")  # the machines' own rules are cited by tests/stateful; this checks the checker
def test_there_are_at_least_fifteen_mutants_with_distinct_names() -> None:
    assert len(MUTANTS) >= 15
    assert len({m.name for m in MUTANTS}) == len(MUTANTS)


@pytest.mark.parametrize("mutant", MUTANTS, ids=[m.name for m in MUTANTS])
def test_the_state_machines_catch_the_mutant(mutant: Mutant, request: pytest.FixtureRequest) -> None:
    request.node.add_marker(pytest.mark.spec(mutant.rule))
    lib = load(mutant)  # fails loudly (StaleMutant) if the patch no longer applies
    machine = program_machine(lib, f"Mutant_{mutant.name.replace('-', '_')}")
    try:
        run_state_machine_as_test(machine, settings=BUDGET)
    except BaseException as caught:  # noqa: BLE001 — any failure of the machine means the mutant was caught
        if isinstance(caught, (KeyboardInterrupt, SystemExit)):
            raise
        return
    pytest.fail(f"the state machines did not catch mutant {mutant.name!r} (breaks {mutant.rule}) within the budget")
