"""The real-clock mode (for the local server): nothing runs early and nothing needs the virtual clock."""

from __future__ import annotations

import time

import pytest

from nurture_local.sfn.clock import RealClock
from nurture_local.sfn.executor import LocalStepFunctions


def wait_machine(wait: dict[str, object]) -> dict[str, object]:
    return {
        "StartAt": "Wait",
        "States": {"Wait": {"Type": "Wait", **wait, "Next": "Done"}, "Done": {"Type": "Succeed"}},
    }


def test_given_a_real_clock_when_a_wait_is_already_due_then_the_execution_finishes_at_once():
    sfn = LocalStepFunctions(clock=RealClock())
    arn = sfn.create_state_machine("past", wait_machine({"Timestamp": "2020-01-01T00:00:00Z"}))

    execution = sfn.start_execution(arn, {})

    assert execution.status == "SUCCEEDED"


def test_given_a_real_clock_when_a_wait_lies_ahead_then_it_is_not_run_early_and_next_due_says_when():
    sfn = LocalStepFunctions(clock=RealClock())
    arn = sfn.create_state_machine("ahead", wait_machine({"Seconds": 3600}))
    before = time.time()

    execution = sfn.start_execution(arn, {})
    sfn.run_due()

    assert execution.status == "RUNNING"
    due = sfn.next_due()
    assert due is not None
    assert before + 3600 <= due <= time.time() + 3600


def test_given_a_real_clock_when_asked_to_jump_in_time_then_it_refuses():
    sfn = LocalStepFunctions(clock=RealClock())

    with pytest.raises(RuntimeError, match="virtual clock"):
        sfn.advance(days=1)
