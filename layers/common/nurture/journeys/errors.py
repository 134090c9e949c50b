"""Errors a journey task raises on purpose. The class names are the error names Step Functions sees
(a Python Lambda reports ``errorType`` = the exception's class name) and the compiled state machines
Catch them by name: keep them stable."""

from __future__ import annotations

from nurture.errors import NurtureError


class EnrolmentEnded(NurtureError):
    """The enrolment is no longer running (exited, completed, no consent, no address): the task did
    nothing and the execution ends early. The message carries the reason (``ordered``, ``no_consent``…)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
