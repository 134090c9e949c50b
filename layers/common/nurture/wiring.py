"""How every function builds its dependencies: one way, used by every ``functions/<name>/app.py``.

    logger = Logger()

    def build(environ: Mapping[str, str] | None = None, *, clients: Mapping[str, Any] | None = None,
              clock: Callable[[], datetime] | None = None) -> Service:
        settings = ServiceSettings.from_environ(os.environ if environ is None else environ)
        aws = AwsClients(clients)                       # nurture.adapters.clients
        return Service(Repository(settings.table_name, aws.dynamodb), ...)

    dependencies: Lazy[Service] = Lazy(build)
    use_dependencies = dependencies.use                 # tests and the local runtime inject their own

    @logger.inject_lambda_context
    def lambda_handler(event, context):
        return run_handler(logger, "… failed", lambda: dependencies.get().handle(event))

- ``build`` reads the function's one settings model from the environment and wires the adapters;
  ``clients`` may hold ready boto3 clients by service name (moto in tests, the local runtime);
- nothing is built at import: the first invocation builds, the container keeps it (cold start:
  docs/architecture.md);
- `run_handler` is the one place a handler maps an unexpected error: logged once with its type
  (never its message: it may quote personal data), then re-raised for Lambda / Step Functions.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

T = TypeVar("T")


class Lazy(Generic[T]):
    """A dependency built on first use (``get``) and kept; ``use`` replaces or (None) forgets it."""

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._value: T | None = None

    def get(self) -> T:
        if self._value is None:
            self._value = self._build()
        return self._value

    def use(self, value: T | None) -> None:
        self._value = value


class WarningLog(Protocol):
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


def run_handler(
    log: WarningLog, failure: str, work: Callable[[], T], *, expected: tuple[type[Exception], ...] = ()
) -> T:
    """Run the handler's work; an exception is logged once (its type only) and re-raised. Those of
    ``expected`` are answers the state machine acts on (a deferred send), not failures: not logged."""
    try:
        return work()
    except expected:
        raise
    except Exception as exc:
        log.warning(failure, error_type=type(exc).__name__)
        raise
