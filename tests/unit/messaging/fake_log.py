"""A log that keeps what the messaging code logs (the `EventLog` protocol), for the tests to read."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FakeLog:
    lines: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (level, message, fields)

    def info(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("info", msg, kwargs))

    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("warning", msg, kwargs))

    def exception(self, msg: str, *args: Any, **kwargs: Any) -> None:
        self.lines.append(("exception", msg, kwargs))
