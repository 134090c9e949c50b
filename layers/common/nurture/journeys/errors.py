"""Errors of the journeys' tasks. The class names are the error names Step Functions sees (a Python
Lambda reports ``errorType`` = the class name): the compiled state machines Catch them by name."""

from __future__ import annotations

from nurture.errors import NurtureError


class EnrolmentEnded(NurtureError):
    """The enrolment is no longer running (completed, exited, or never recorded): the task does
    nothing and the execution ends early. The message is the reason (``ordered``, ``no_consent``…)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
