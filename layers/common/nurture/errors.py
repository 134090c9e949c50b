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
