"""Domain exceptions shared across Nurture. Adapters turn boto3 errors into these (``raise … from exc``);
`nurture.http` is the one place that maps them to HTTP responses."""

from __future__ import annotations


class NurtureError(Exception):
    """Base of the errors Nurture raises on purpose."""


class DependencyUnavailable(NurtureError):
    """An AWS dependency failed or refused the call; the caller should retry later (HTTP 503)."""

    def __init__(self, dependency: str, detail: str) -> None:
        super().__init__(f"{dependency} unavailable: {detail}")
        self.dependency = dependency
        self.detail = detail


class ConfigurationError(NurtureError):
    """A setting or secret is missing or malformed: the function cannot work until it is fixed."""


class InvalidRequest(NurtureError):
    """The HTTP request cannot be read at all (a body flagged base64 that is not, text that is not
    UTF-8): the caller's mistake (HTTP 400). ``reason`` never quotes what was sent."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class NotFound(NurtureError):
    """What the request names does not exist (HTTP 404). ``what`` names the kind, never the value."""

    def __init__(self, what: str) -> None:
        super().__init__(f"no such {what}")
        self.what = what
