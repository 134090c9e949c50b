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


class SendDeferred(NurtureError):
    """The delivery rules deferred the send (quiet hours, send hour, frequency cap). The message is
    only the instant, RFC 3339 in UTC (``2026-06-11T06:00:00Z``): the state machine reads it from
    the error's Cause (``errorMessage``), waits until then and runs the same send task again."""

    def __init__(self, until: str, reason: str) -> None:
        super().__init__(until)
        self.until = until
        self.reason = reason
