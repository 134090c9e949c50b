"""The local Step Functions executor.

Each execution (and each Parallel branch or Map iteration inside it) runs as a Python generator that
interprets states until it has to wait: for a time (Wait, Retry back-off), for a task token, or for
its children. It then yields an instruction and the scheduler parks it in a heap keyed by virtual
time. Advancing the clock pops due work in (time, arrival) order, so runs are deterministic and a
month of Waits costs no real time.
"""

from __future__ import annotations

import contextlib
import heapq
import json
import math
import random
import re
import traceback
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import errors as err
from . import resources as res
from .clock import Clock, VirtualClock, iso_timestamp, parse_timestamp, to_datetime
from .definition import State, StateGroup, StateMachineDefinition, iter_states, load_definition
from .errors import DefinitionError, StatesError
from .mockconfig import MockConfig, MockedResponse, MockTestCase, field_mock_name
from .paths import JsonPath, set_path

RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED = "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"
MAX_PAYLOAD_BYTES = 256 * 1024
NAME_REUSE_SECONDS = 90 * 24 * 3600
_INVALID_NAME = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
# Errors that neither Retry nor Catch can handle (AWS: States.ALL does not match them either).
_UNCATCHABLE = frozenset({err.RUNTIME, err.DATA_LIMIT_EXCEEDED})

Handler = Callable[[Any, Any], Any]
ClientProvider = Callable[[str], Any]


class _HeartbeatTimeout(StatesError):
    """A missed heartbeat. AWS reports it as States.Timeout (which a States.Timeout retrier or catcher
    matches); States.HeartbeatTimeout in ErrorEquals matches only this kind of time-out."""


class SfnApiError(Exception):
    """An API call was refused, with the error code AWS Step Functions would answer."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


# ---------------------------------------------------------------- instructions yielded by runners


class _Sleep:
    __slots__ = ("until",)

    def __init__(self, until: float) -> None:
        self.until = until


class _AwaitToken:
    __slots__ = ("heartbeat_seconds", "state", "timeout_at", "token")

    def __init__(self, token: str, state: str, timeout_at: float | None, heartbeat_seconds: float | None) -> None:
        self.token = token
        self.state = state
        self.timeout_at = timeout_at
        self.heartbeat_seconds = heartbeat_seconds


class _Fork:
    __slots__ = ("children", "max_concurrency")

    def __init__(self, children: list[Generator[Any, Any, Any]], max_concurrency: int) -> None:
        self.children = children
        self.max_concurrency = max_concurrency


class _AwaitExecution:
    __slots__ = ("execution", "timeout_at")

    def __init__(self, execution: Execution, timeout_at: float | None) -> None:
        self.execution = execution
        self.timeout_at = timeout_at


Runner = Generator[Any, Any, Any]

# heap entry actions
_RESUME, _THROW, _TOKEN_TIMEOUT, _HEARTBEAT_TIMEOUT, _EXECUTION_TIMEOUT = range(5)


class _Thread:
    __slots__ = ("cancelled", "execution", "fork", "gen", "index", "join", "token", "wait_id")

    def __init__(self, gen: Runner, execution: Execution, join: _Join | None = None, index: int = 0) -> None:
        self.gen = gen
        self.execution = execution
        self.join = join  # the fork this thread is a child of
        self.index = index
        self.wait_id = 0
        self.token: str | None = None
        self.fork: _Join | None = None  # the fork this thread is waiting on
        self.cancelled = False


class _Join:
    __slots__ = ("active", "failed", "parent", "pending", "remaining", "results", "running")

    def __init__(self, parent: _Thread, children: list[Runner]) -> None:
        self.parent = parent
        self.results: list[Any] = [None] * len(children)
        self.pending: Iterator[tuple[int, Runner]] = iter(list(enumerate(children)))
        self.remaining = len(children)
        self.running: dict[int, _Thread] = {}
        self.failed = False
        self.active = 0


@dataclass(slots=True)
class _TokenWait:
    thread: _Thread
    wait_id: int
    state: str
    heartbeat_seconds: float | None
    heartbeat_deadline: float | None


@dataclass(slots=True, eq=False)
class StateMachine:
    arn: str
    name: str
    definition: StateMachineDefinition
    definition_text: str
    role_arn: str
    created: float


@dataclass(slots=True, eq=False)
class Execution:
    arn: str
    name: str
    state_machine: StateMachine
    input: Any
    input_text: str
    start: float
    status: str = RUNNING
    output: Any = None
    error: str | None = None
    cause: str | None = None
    stop: float | None = None
    history: list[tuple[str, float, dict[str, Any]]] = field(default_factory=list)
    transitions: int = 0
    mock_case: MockTestCase | None = None
    mock_calls: dict[str, int] = field(default_factory=dict)
    root: _Thread | None = None
    context_base: dict[str, Any] = field(default_factory=dict)
    waiters: list[_Thread] = field(default_factory=list)

    def record(self, kind: str, when: float, details: dict[str, Any]) -> None:
        self.history.append((kind, when, details))

    @property
    def states_entered(self) -> list[str]:
        return [details["name"] for kind, _, details in self.history if kind.endswith("StateEntered")]

    @property
    def output_text(self) -> str | None:
        return None if self.status != SUCCEEDED else json.dumps(self.output, separators=(",", ":"))


class LambdaContext:
    """What a Python Lambda handler gets as `context` (the attributes Powertools reads)."""

    def __init__(self, function_name: str, arn: str, request_id: str) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = arn
        self.memory_limit_in_mb = 128
        self.aws_request_id = request_id
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


class LocalStepFunctions:
    """Runs state machines in-process on a virtual (or real) clock.

    Lambda tasks call Python handlers registered with `register_handler`; SDK integrations call the
    boto3 clients from `clients` (a mapping or a callable taking a client name such as "dynamodb").
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        region: str = "us-east-1",
        account: str = "123456789012",
        seed: int = 0,
        clients: Mapping[str, Any] | ClientProvider | None = None,
        mock_config: MockConfig | None = None,
    ) -> None:
        self.clock: Clock = clock or VirtualClock()
        self.region = region
        self.account = account
        self.rng = random.Random(seed)
        self.mock_config = mock_config
        self._clients = clients
        self._handlers: dict[str, Handler] = {}
        self._machines: dict[str, StateMachine] = {}
        self._executions: dict[str, Execution] = {}
        self._tokens: dict[str, _TokenWait] = {}
        self._retired_tokens: set[str] = set()  # issued, then answered, timed out or cancelled
        self._heap: list[tuple[float, int, int, Any, int, Any]] = []
        self._seq = 0
        self._running = False
        self._current: _Thread | None = None

    # ------------------------------------------------------------ set-up

    def register_handler(self, function: str, handler: Handler) -> None:
        """Route a Lambda function (name or ARN, qualifier ignored) to a Python callable."""
        self._handlers[_function_name(function)] = handler

    def create_state_machine(
        self,
        name: str,
        definition: str | Mapping[str, Any],
        *,
        substitutions: Mapping[str, Any] | None = None,
        role_arn: str | None = None,
    ) -> str:
        """Validate and register a definition; returns the state machine ARN (DefinitionError if invalid)."""
        _check_name(name, "state machine")
        mocked = self.mock_config.mocked_states(name) if self.mock_config is not None else frozenset()
        compiled = load_definition(definition, substitutions, mocked=mocked)
        if mocked:
            self._check_lambda_function_mocks(name, compiled)
        arn = f"arn:aws:states:{self.region}:{self.account}:stateMachine:{name}"
        text = definition if isinstance(definition, str) else json.dumps(definition)
        self._machines[arn] = StateMachine(
            arn,
            name,
            compiled,
            text,
            role_arn or f"arn:aws:iam::{self.account}:role/{name}-role",
            self.clock.now(),
        )
        return arn

    def _check_lambda_function_mocks(self, name: str, compiled: StateMachineDefinition) -> None:
        """A Task whose Resource is a function ARN returns the Invoke response's Payload, so each of its
        mocked Returns must be an Invoke response (Step Functions Local reads ``Payload`` from it)."""
        assert self.mock_config is not None
        cases = self.mock_config.test_cases(name)
        for state in iter_states(compiled.root):
            if state.resource is None or state.resource.kind != res.LAMBDA_FUNCTION:
                continue
            for case in cases:
                response = case.states.get(state.name)
                if response is not None and not _returns_a_payload(response):
                    raise DefinitionError(
                        f"mocked response '{response.name}' (test case '{case.name}') must return a Lambda "
                        'Invoke response such as {"StatusCode": 200, "Payload": ...}: the state gets its Payload',
                        state=state.name,
                        field="Resource",
                    )

    def state_machine(self, arn: str) -> StateMachine:
        try:
            return self._machines[arn]
        except KeyError:
            raise SfnApiError("StateMachineDoesNotExist", f"State Machine Does Not Exist: '{arn}'") from None

    # ------------------------------------------------------------ executions

    def start_execution(
        self,
        state_machine_arn: str,
        input: Any = None,
        *,
        name: str | None = None,
        test_case: str | None = None,
    ) -> Execution:
        """Start (and run until it first waits). ``input`` is a JSON string or a JSON-able value.

        ``state_machine_arn`` may end in ``#TestCase`` to pick a mock-configuration test case, as
        Step Functions Local does; ``test_case`` does the same.
        """
        if "#" in state_machine_arn:
            state_machine_arn, test_case = state_machine_arn.split("#", 1)
        machine = self.state_machine(state_machine_arn)
        input_value, input_text = _parse_input(input)
        if name is None:
            name = str(_uuid(self.rng))
        _check_name(name, "execution")
        arn = f"arn:aws:states:{self.region}:{self.account}:execution:{machine.name}:{name}"
        existing = self._executions.get(arn)
        if existing is not None:
            closed_long_ago = existing.stop is not None and self.clock.now() - existing.stop > NAME_REUSE_SECONDS
            if existing.status == RUNNING and existing.input_text == input_text:
                return existing  # idempotent, as AWS answers for the same name and input
            if not closed_long_ago:
                raise SfnApiError("ExecutionAlreadyExists", f"Execution Already Exists: '{arn}'")
        mock_case = None
        if test_case is not None:
            if self.mock_config is None:
                raise SfnApiError("InvalidArn", f"test case '{test_case}' given but no mock configuration is loaded")
            mock_case = self.mock_config.test_case(machine.name, test_case)
        now = self.clock.now()
        execution = Execution(arn, name, machine, input_value, input_text, now, mock_case=mock_case)
        execution.context_base = {
            "Execution": {
                "Id": arn,
                "Input": input_value,
                "Name": name,
                "RoleArn": machine.role_arn,
                "StartTime": iso_timestamp(now),
                "RedriveCount": 0,
            },
            "StateMachine": {"Id": machine.arn, "Name": machine.name},
        }
        self._executions[arn] = execution
        execution.record("ExecutionStarted", now, {"input": input_value, "roleArn": machine.role_arn})
        thread = _Thread(self._run_group(execution, machine.definition.root, input_value), execution)
        execution.root = thread
        self._push(now, _RESUME, thread, thread.wait_id, None)
        if machine.definition.timeout_seconds is not None:
            self._push(now + machine.definition.timeout_seconds, _EXECUTION_TIMEOUT, None, 0, execution)
        self._pump()
        return execution

    def execution(self, arn: str) -> Execution:
        try:
            return self._executions[arn]
        except KeyError:
            raise SfnApiError("ExecutionDoesNotExist", f"Execution Does Not Exist: '{arn}'") from None

    def executions(self, state_machine_arn: str | None = None, status: str | None = None) -> list[Execution]:
        return [
            e
            for e in self._executions.values()
            if (state_machine_arn is None or e.state_machine.arn == state_machine_arn)
            and (status is None or e.status == status)
        ]

    def stop_execution(self, arn: str, error: str | None = None, cause: str | None = None) -> Execution:
        execution = self.execution(arn)
        if execution.status != RUNNING:
            return execution
        if execution.root is not None:
            self._cancel(execution.root)
        details: dict[str, Any] = {}
        if error is not None:
            details["error"] = error
        if cause is not None:
            details["cause"] = cause
        self._close(execution, ABORTED, details, error=error, cause=cause)
        return execution

    def send_task_success(self, token: str, output: Any) -> None:
        """Resume the task waiting on `token`; `output` is a JSON string or a JSON-able value."""
        wait = self._take_token(token)
        if isinstance(output, str):
            try:
                value = json.loads(output)
            except json.JSONDecodeError:
                self._tokens[token] = wait
                raise SfnApiError("InvalidOutput", "the task output is not valid JSON") from None
        else:
            value = output
        self._push(self.clock.now(), _RESUME, wait.thread, wait.wait_id, value)
        self._pump()

    def send_task_failure(self, token: str, error: str | None = None, cause: str | None = None) -> None:
        wait = self._take_token(token)
        self._push(self.clock.now(), _THROW, wait.thread, wait.wait_id, StatesError(error or "", cause or ""))
        self._pump()

    def send_task_heartbeat(self, token: str) -> None:
        wait = self._tokens.get(token)
        if wait is None:
            raise self._unknown_token(token)
        if wait.heartbeat_seconds is not None:
            wait.heartbeat_deadline = self.clock.now() + wait.heartbeat_seconds
            self._push(wait.heartbeat_deadline, _HEARTBEAT_TIMEOUT, wait.thread, wait.wait_id, token)

    def pending_tokens(self, execution_arn: str | None = None) -> dict[str, str]:
        """Task tokens being waited on: token -> state name (optionally for one execution)."""
        return {
            token: wait.state
            for token, wait in self._tokens.items()
            if execution_arn is None or wait.thread.execution.arn == execution_arn
        }

    # ------------------------------------------------------------ the clock

    def advance(self, seconds: float = 0, *, minutes: float = 0, hours: float = 0, days: float = 0) -> None:
        """Move the virtual clock forward, running everything that falls due, in time order."""
        delta = timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds).total_seconds()
        if delta < 0:
            raise ValueError("the clock only moves forward")
        self.run_until(self.clock.now() + delta)

    def run_until(self, when: float | datetime) -> None:
        if not self.clock.virtual:
            raise RuntimeError("run_until needs a virtual clock; with a real clock call run_due()")
        until = when.timestamp() if isinstance(when, datetime) else float(when)
        self._run_until(until)

    def run_until_idle(self, *, max_days: float = 400) -> None:
        """Run until nothing is scheduled (executions waiting on a token with no timeout stay waiting)."""
        limit = self.clock.now() + max_days * 86400
        self._drop_stale()
        while self._heap and self._heap[0][0] <= limit:
            self._run_until(self._heap[0][0])
            self._drop_stale()

    def run_due(self) -> None:
        """Run everything due now (the real-clock mode's pump)."""
        self._run_until(self.clock.now())

    def next_due(self) -> float | None:
        self._drop_stale()
        return self._heap[0][0] if self._heap else None

    def _drop_stale(self) -> None:
        """Discard queued wake-ups that can no longer fire (a task answered before its time-out, an
        execution ended before its TimeoutSeconds), so going idle does not move the clock to them."""
        heap = self._heap
        while heap:
            when, _, action, thread, wait_id, payload = heap[0]
            if action == _EXECUTION_TIMEOUT:
                stale = payload.status != RUNNING
            elif thread.cancelled or thread.wait_id != wait_id:
                stale = True
            elif action == _HEARTBEAT_TIMEOUT:
                wait = self._tokens.get(payload)
                stale = wait is None or wait.heartbeat_deadline != when
            else:
                stale = False
            if not stale:
                return
            heapq.heappop(heap)

    @property
    def now(self) -> datetime:
        return to_datetime(self.clock.now())

    # ------------------------------------------------------------ scheduler

    def _push(self, when: float, action: int, thread: Any, wait_id: int, payload: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (when, self._seq, action, thread, wait_id, payload))

    def _pump(self) -> None:
        if not self._running:
            self._run_until(self.clock.now())

    def _run_until(self, until: float) -> None:
        if self._running:
            raise RuntimeError("the executor is already running (re-entrant clock advance)")
        self._running = True
        heap = self._heap
        try:
            while heap and heap[0][0] <= until:
                when, _, action, thread, wait_id, payload = heapq.heappop(heap)
                self.clock.set(when)
                if action == _EXECUTION_TIMEOUT:
                    self._execution_timed_out(payload)
                    continue
                if thread.cancelled or thread.wait_id != wait_id:
                    continue  # stale: the thread moved on (resumed by a token, cancelled, ...)
                if action == _RESUME:
                    self._step(thread, payload, None)
                elif action == _THROW:
                    self._step(thread, None, payload)
                elif action == _TOKEN_TIMEOUT:
                    # AWS's TaskTimedOut for a callback task carries the error and no cause: the
                    # caught error reads {"Error": "States.Timeout", "Cause": ""} (as moto's interpreter,
                    # derived from LocalStack's AWS-validated one, gives it).
                    self._expire_token(thread, payload, StatesError(err.TIMEOUT, ""))
                elif action == _HEARTBEAT_TIMEOUT:
                    wait = self._tokens.get(payload)
                    if wait is not None and wait.heartbeat_deadline == when:
                        self._expire_token(
                            thread, payload, _HeartbeatTimeout(err.TIMEOUT, "The task heartbeat timed out")
                        )
            self.clock.set(until)
        finally:
            self._running = False

    def _step(self, thread: _Thread, value: Any, error: StatesError | None) -> None:
        thread.wait_id += 1
        previous, self._current = self._current, thread
        try:
            instruction = thread.gen.throw(error) if error is not None else thread.gen.send(value)
        except StopIteration as stop:
            self._thread_finished(thread, stop.value)
            return
        except StatesError as failure:
            self._thread_failed(thread, failure)
            return
        finally:
            self._current = previous
        if thread.cancelled:
            thread.gen.close()
            return
        self._suspend(thread, instruction)

    def _suspend(self, thread: _Thread, instruction: Any) -> None:
        now = self.clock.now()
        if isinstance(instruction, _Sleep):
            self._push(max(instruction.until, now), _RESUME, thread, thread.wait_id, None)
        elif isinstance(instruction, _AwaitToken):
            token = instruction.token
            wait = self._tokens.get(token)
            if wait is None:
                return  # answered while its resource was being called: the resumption is already queued
            if instruction.heartbeat_seconds is not None:
                wait.heartbeat_deadline = now + instruction.heartbeat_seconds
                self._push(wait.heartbeat_deadline, _HEARTBEAT_TIMEOUT, thread, thread.wait_id, token)
            if instruction.timeout_at is not None:
                self._push(instruction.timeout_at, _TOKEN_TIMEOUT, thread, thread.wait_id, token)
        elif isinstance(instruction, _Fork):
            join = _Join(thread, instruction.children)
            thread.fork = join
            if not instruction.children:
                self._push(now, _RESUME, thread, thread.wait_id, [])
                return
            limit = instruction.max_concurrency or len(instruction.children)
            for _ in range(min(limit, len(instruction.children))):
                self._start_child(join, thread.execution)
        elif isinstance(instruction, _AwaitExecution):
            child = instruction.execution
            if child.status != RUNNING:
                self._push(now, _RESUME, thread, thread.wait_id, child)
            else:
                child.waiters.append(thread)
                if instruction.timeout_at is not None:
                    self._push(
                        instruction.timeout_at,
                        _THROW,
                        thread,
                        thread.wait_id,
                        StatesError(err.TIMEOUT, "The task timed out"),
                    )
        else:  # pragma: no cover - a bug in a runner
            raise TypeError(f"unknown instruction {instruction!r}")

    def _start_child(self, join: _Join, execution: Execution) -> None:
        index, gen = next(join.pending)
        child = _Thread(gen, execution, join, index)
        join.running[index] = child
        join.active += 1
        self._push(self.clock.now(), _RESUME, child, child.wait_id, None)

    def _thread_finished(self, thread: _Thread, value: Any) -> None:
        join = thread.join
        if join is None:
            execution = thread.execution
            self._close(execution, SUCCEEDED, {"output": value}, output=value)
            return
        join.results[thread.index] = value
        del join.running[thread.index]
        join.active -= 1
        join.remaining -= 1
        if join.remaining == 0:
            join.parent.fork = None
            self._push(self.clock.now(), _RESUME, join.parent, join.parent.wait_id, join.results)
        elif not join.failed and join.active < len(join.results):
            with contextlib.suppress(StopIteration):  # no iteration left to start
                self._start_child(join, thread.execution)

    def _thread_failed(self, thread: _Thread, failure: StatesError) -> None:
        join = thread.join
        if join is None:
            details = {"error": failure.error, "cause": failure.cause}
            self._close(thread.execution, FAILED, details, error=failure.error, cause=failure.cause)
            return
        if join.failed:
            return
        join.failed = True
        join.running.pop(thread.index, None)
        for sibling in list(join.running.values()):
            self._cancel(sibling)
        join.running.clear()
        join.parent.fork = None
        self._push(self.clock.now(), _THROW, join.parent, join.parent.wait_id, failure)

    def _cancel(self, thread: _Thread) -> None:
        thread.cancelled = True
        thread.wait_id += 1
        if thread.token is not None:
            self._tokens.pop(thread.token, None)
            self._retired_tokens.add(thread.token)
        if thread.fork is not None:
            for child in list(thread.fork.running.values()):
                self._cancel(child)
            thread.fork.running.clear()
        if thread is not self._current:
            thread.gen.close()

    def _close(
        self,
        execution: Execution,
        status: str,
        details: dict[str, Any],
        *,
        output: Any = None,
        error: str | None = None,
        cause: str | None = None,
    ) -> None:
        if execution.status != RUNNING:
            return
        now = self.clock.now()
        execution.status, execution.stop = status, now
        execution.output, execution.error, execution.cause = output, error, cause
        kind = {
            SUCCEEDED: "ExecutionSucceeded",
            FAILED: "ExecutionFailed",
            ABORTED: "ExecutionAborted",
            TIMED_OUT: "ExecutionTimedOut",
        }[status]
        execution.record(kind, now, details)
        for waiter in execution.waiters:
            self._push(now, _RESUME, waiter, waiter.wait_id, execution)
        execution.waiters.clear()

    def _execution_timed_out(self, execution: Execution) -> None:
        if execution.status != RUNNING:
            return
        if execution.root is not None:
            self._cancel(execution.root)
        cause = "The execution timed out (TimeoutSeconds)"
        self._close(execution, TIMED_OUT, {"error": err.TIMEOUT, "cause": cause}, error=err.TIMEOUT, cause=cause)

    def _take_token(self, token: str) -> _TokenWait:
        wait = self._tokens.pop(token, None)
        if wait is None:
            raise self._unknown_token(token)
        wait.thread.token = None
        self._retired_tokens.add(token)
        return wait

    def _unknown_token(self, token: str) -> SfnApiError:
        # API reference: TaskTimedOut when the task has timed out or is closed; InvalidToken otherwise.
        if token in self._retired_tokens:
            return SfnApiError("TaskTimedOut", "Task Timed Out: 'Provided task does not exist anymore'")
        return SfnApiError("InvalidToken", "Invalid Token: 'the task token was not issued by this executor'")

    def _expire_token(self, thread: _Thread, token: str, failure: StatesError) -> None:
        if self._tokens.pop(token, None) is None:
            return
        thread.token = None
        self._retired_tokens.add(token)
        self._step(thread, None, failure)

    def _register_token(self, token: str, state: str, heartbeat_seconds: float | None) -> None:
        """Make a task token valid before its resource is called (a worker may answer at once)."""
        thread = self._current
        assert thread is not None
        thread.token = token
        self._tokens[token] = _TokenWait(thread, thread.wait_id, state, heartbeat_seconds, None)

    def _forget_token(self, token: str) -> None:
        """The resource call failed: withdraw the token; an answer already sent becomes stale."""
        thread = self._current
        assert thread is not None
        thread.token = None
        self._retired_tokens.add(token)
        if self._tokens.pop(token, None) is None:
            thread.wait_id += 1

    # ------------------------------------------------------------ the interpreter

    def _context(self, execution: Execution, state: State, entered: float, retry_count: int = 0) -> dict[str, Any]:
        context = dict(execution.context_base)
        context["State"] = {
            "Name": state.name,
            "EnteredTime": iso_timestamp(entered),
            "RetryCount": retry_count,
        }
        return context

    def _run_group(self, execution: Execution, group: StateGroup, data: Any) -> Runner:
        name = group.start_at
        states = group.states
        clock = self.clock
        record = execution.history.append
        while True:
            state = states[name]
            kind = state.type
            execution.transitions += 1
            entered = clock.now()
            record((_ENTERED[kind], entered, {"name": name, "input": data}))
            context = self._context(execution, state, entered) if state.uses_context else None
            next_name = state.next
            if kind == "Pass":
                output = self._run_pass(state, data, context)
            elif kind == "Choice":
                effective = _input(state, data, context)
                for predicate, target in state.choices:
                    if predicate(effective, context):
                        next_name = target
                        break
                else:
                    if state.default is None:
                        raise StatesError(err.NO_CHOICE_MATCHED, f"No Choice rule matched in state '{name}'")
                    next_name = state.default
                output = _output(state, effective, context)
            elif kind == "Wait":
                effective = _input(state, data, context)
                until = self._wait_until(state, effective, context, entered)
                if until > entered:
                    yield _Sleep(until)
                output = _output(state, effective, context)
            elif kind == "Succeed":
                output = _output(state, _input(state, data, context), context)
                record(("SucceedStateExited", clock.now(), {"name": name, "output": output}))
                return output
            elif kind == "Fail":
                raise self._fail_error(state, data, context)
            else:
                output, next_name = yield from self._run_with_error_handling(execution, state, data, entered)
            record((_EXITED[kind], clock.now(), {"name": name, "output": output}))
            if next_name is None:
                return output
            data = output
            name = next_name

    def _run_pass(self, state: State, data: Any, context: Any) -> Any:
        effective = _input(state, data, context)
        if state.has_result:
            result = state.result
        elif state.parameters is not None:
            result = state.parameters.evaluate(effective, context, self.rng)
        else:
            result = effective
        return _output(state, _result(state, data, result), context)

    def _wait_until(self, state: State, effective: Any, context: Any, entered: float) -> float:
        if state.wait_seconds is not None:
            return entered + state.wait_seconds
        if state.wait_timestamp is not None:
            return state.wait_timestamp
        if state.wait_seconds_path is not None:
            path = state.wait_seconds_path
            seconds = path.resolve(effective, context, field="SecondsPath")
            if (
                isinstance(seconds, bool)
                or not isinstance(seconds, int | float)
                or seconds < 0
                or seconds != int(seconds)
            ):
                raise StatesError(
                    err.RUNTIME,
                    f"The SecondsPath '{path.text}' must point to a non-negative integer, got {json.dumps(seconds)}",
                )
            return entered + float(seconds)
        timestamp_path = state.wait_timestamp_path
        assert timestamp_path is not None
        text = timestamp_path.resolve(effective, context, field="TimestampPath")
        when = parse_timestamp(text) if isinstance(text, str) else None
        if when is None:
            raise StatesError(
                err.RUNTIME,
                f"The TimestampPath '{timestamp_path.text}' must point to an RFC 3339 timestamp, "
                f"got {json.dumps(text)}",
            )
        return float(math.floor(when))  # AWS truncates a Wait timestamp to whole seconds

    def _fail_error(self, state: State, data: Any, context: Any) -> StatesError:
        def resolve(literal: str | None, dynamic: Any, label: str) -> str:
            if dynamic is None:
                return literal or ""
            if hasattr(dynamic, "evaluate"):
                value = dynamic.evaluate(data, context, self.rng)
            else:
                value = dynamic.resolve(data, context, field=label)
            if not isinstance(value, str):
                raise StatesError(err.RUNTIME, f"{label} must resolve to a string, got {json.dumps(value)}")
            return value

        return StatesError(
            resolve(state.error, state.error_path, "ErrorPath"),
            resolve(state.cause, state.cause_path, "CausePath"),
        )

    def _run_with_error_handling(self, execution: Execution, state: State, data: Any, entered: float) -> Runner:
        attempts = [0] * len(state.retriers)
        retry_count = 0
        while True:
            try:
                output = yield from self._attempt(execution, state, data, entered, retry_count)
                return output, state.next
            except StatesError as caught:
                failure = caught
            if failure.error in _UNCATCHABLE:
                raise failure
            delay = self._retry_delay(state, attempts, failure)
            if delay is not None:
                retry_count += 1
                yield _Sleep(self.clock.now() + delay)
                continue
            for catcher in state.catchers:
                if _matches(catcher.error_equals, failure):
                    error_output = {"Error": failure.error, "Cause": failure.cause}
                    if catcher.result_path is None:
                        return data, catcher.next
                    return set_path(data, catcher.result_path, error_output), catcher.next
            raise failure

    def _retry_delay(self, state: State, attempts: list[int], failure: StatesError) -> float | None:
        """Seconds to wait before the next attempt, or None: no retrier matches or it is exhausted.

        Only the first retrier whose ErrorEquals matches is considered; each keeps its own count.
        """
        for i, retrier in enumerate(state.retriers):
            if not _matches(retrier.error_equals, failure):
                continue
            if attempts[i] >= retrier.max_attempts:
                return None
            delay = retrier.interval_seconds * retrier.backoff_rate ** attempts[i]
            if retrier.max_delay_seconds is not None:
                delay = min(delay, retrier.max_delay_seconds)
            if retrier.full_jitter:
                delay = self.rng.uniform(0, delay)
            attempts[i] += 1
            return delay
        return None

    def _attempt(self, execution: Execution, state: State, data: Any, entered: float, retry_count: int) -> Runner:
        context = (
            self._context(execution, state, entered, retry_count)
            if state.uses_context or state.type == "Task"
            else None
        )
        effective = _input(state, data, context)
        kind = state.type
        if kind == "Task":
            resource = state.resource
            assert resource is not None and context is not None
            if resource.pattern == res.WAIT_FOR_TASK_TOKEN:
                context["Task"] = {"Token": self._new_token()}
            payload = state.parameters.evaluate(effective, context, self.rng) if state.parameters else effective
            result = yield from self._invoke(execution, state, payload, context, effective)
        elif kind == "Parallel":
            payload = state.parameters.evaluate(effective, context, self.rng) if state.parameters else effective
            execution.record("ParallelStateStarted", self.clock.now(), {"name": state.name})
            children = [self._run_group(execution, branch, payload) for branch in state.branches]
            try:
                result = yield _Fork(children, 0)
            except StatesError as failure:
                execution.record(
                    "ParallelStateFailed",
                    self.clock.now(),
                    {"name": state.name, "error": failure.error, "cause": failure.cause},
                )
                raise
            execution.record("ParallelStateSucceeded", self.clock.now(), {"name": state.name})
        else:
            result = yield from self._run_map(execution, state, effective, context, entered)
        if state.result_selector is not None:
            result = state.result_selector.evaluate(result, context, self.rng)
        return _output(state, _result(state, data, result), context)

    def _run_map(self, execution: Execution, state: State, effective: Any, context: Any, entered: float) -> Runner:
        items = effective
        if state.item_reader:
            items = _mocked_field(execution, state.name, "ItemReader")
        elif state.items_path is not None:
            path = state.items_path
            items = path.resolve(effective, context, field="ItemsPath")
        if not isinstance(items, list):
            raise StatesError(
                err.RUNTIME,
                f"The ItemsPath of Map state '{state.name}' must point to an array, got {type(items).__name__}",
            )
        concurrency = state.max_concurrency
        if state.max_concurrency_path is not None:
            path = state.max_concurrency_path
            concurrency = path.resolve(effective, context, field="MaxConcurrencyPath")
            if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
                raise StatesError(
                    err.RUNTIME,
                    f"MaxConcurrencyPath must point to a non-negative integer, got {json.dumps(concurrency)}",
                )
        execution.record("MapStateStarted", self.clock.now(), {"name": state.name, "length": len(items)})
        children = []
        for index, item in enumerate(items):
            if state.item_selector is not None:
                item_context = self._context(execution, state, entered)
                item_context["Map"] = {"Item": {"Index": index, "Value": item}}
                item = state.item_selector.evaluate(effective, item_context, self.rng)
            children.append(self._map_iteration(execution, state, index, item))
        try:
            results = yield _Fork(children, concurrency)
        except StatesError as failure:
            if state.distributed:
                # Each iteration is a child workflow there: one failing exceeds the default tolerated
                # failure threshold (0%), and the Map Run fails with its own error ("Tolerated failure
                # threshold for Distributed Map state").
                failure = StatesError(
                    err.EXCEED_TOLERATED_FAILURE_THRESHOLD,
                    f"The Map Run failed: an iteration failed with {failure.error} ({failure.cause}), "
                    "more than the tolerated 0%",
                )
            execution.record(
                "MapStateFailed",
                self.clock.now(),
                {"name": state.name, "error": failure.error, "cause": failure.cause},
            )
            raise failure from None
        execution.record("MapStateSucceeded", self.clock.now(), {"name": state.name})
        if state.result_writer:
            return _mocked_field(execution, state.name, "ResultWriter")
        return results

    def _map_iteration(self, execution: Execution, state: State, index: int, item: Any) -> Runner:
        execution.record("MapIterationStarted", self.clock.now(), {"name": state.name, "index": index})
        try:
            output = yield from self._run_group(execution, state.branches[0], item)
        except StatesError as failure:
            execution.record(
                "MapIterationFailed",
                self.clock.now(),
                {"name": state.name, "index": index, "error": failure.error},
            )
            raise
        except GeneratorExit:
            execution.record("MapIterationAborted", self.clock.now(), {"name": state.name, "index": index})
            raise
        execution.record("MapIterationSucceeded", self.clock.now(), {"name": state.name, "index": index})
        return output

    # ------------------------------------------------------------ tasks

    def _invoke(
        self, execution: Execution, state: State, payload: Any, context: dict[str, Any], effective: Any
    ) -> Runner:
        resource = state.resource
        assert resource is not None
        now = self.clock.now()
        is_function = resource.kind == res.LAMBDA_FUNCTION
        prefix = "LambdaFunction" if is_function else "Task"
        scheduled: dict[str, Any] = {
            "resource": resource.arn,
            "input" if is_function else "parameters": payload,
        }
        if not is_function:
            scheduled["region"] = self.region
        execution.record(f"{prefix}Scheduled", now, scheduled)
        execution.record(f"{prefix}Started", now, {"resource": resource.arn})
        # TimeoutSecondsPath and HeartbeatSecondsPath read the state's input, not the Parameters payload.
        timeout_at = self._timeout_at(state, effective, now)
        try:
            mock = execution.mock_case.states.get(state.name) if execution.mock_case else None
            if mock is not None:
                result = _respond(execution, state.name, mock)
                if is_function:  # a function ARN returns the Invoke response's Payload (checked at load)
                    result = result["Payload"]
            elif resource.kind == res.MOCKED:
                raise _unmocked(execution, state.name, f"its resource {resource.arn} ({resource.unsupported})")
            elif resource.pattern == res.WAIT_FOR_TASK_TOKEN:
                token = context["Task"]["Token"]
                heartbeat = self._heartbeat_seconds(state, effective)
                self._register_token(token, state.name, heartbeat)
                try:
                    self._call(execution, state, payload)
                except StatesError:
                    self._forget_token(token)
                    raise
                execution.record("TaskSubmitted", self.clock.now(), {"resource": resource.arn})
                result = yield _AwaitToken(token, state.name, timeout_at, heartbeat)
            elif resource.kind == res.START_EXECUTION and resource.pattern in (res.SYNC, res.SYNC2):
                child = self._start_child_execution(execution, payload)
                finished = yield _AwaitExecution(child, timeout_at)
                result = _sync_result(finished, parsed=resource.pattern == res.SYNC2)
                if finished.status != SUCCEEDED:
                    raise StatesError(err.TASK_FAILED, json.dumps(result))
            else:
                result = self._call(execution, state, payload)
            result = _json_copy(result, limit_error=True)
        except StatesError as failure:
            kind = "TimedOut" if failure.error in (err.TIMEOUT, err.HEARTBEAT_TIMEOUT) else "Failed"
            execution.record(
                f"{prefix}{kind}",
                self.clock.now(),
                {"resource": resource.arn, "error": failure.error, "cause": failure.cause},
            )
            raise
        execution.record(f"{prefix}Succeeded", self.clock.now(), {"resource": resource.arn, "output": result})
        return result

    def _timeout_at(self, state: State, payload: Any, now: float) -> float | None:
        seconds = state.timeout_seconds
        if state.timeout_seconds_path is not None:
            seconds = _positive_int_at(state.timeout_seconds_path, payload, "TimeoutSecondsPath")
        return None if seconds is None else now + seconds

    def _heartbeat_seconds(self, state: State, payload: Any) -> float | None:
        if state.heartbeat_seconds_path is not None:
            return float(_positive_int_at(state.heartbeat_seconds_path, payload, "HeartbeatSecondsPath"))
        return None if state.heartbeat_seconds is None else float(state.heartbeat_seconds)

    def _call(self, execution: Execution, state: State, payload: Any) -> Any:
        resource = state.resource
        assert resource is not None
        if resource.kind == res.LAMBDA_FUNCTION:
            assert resource.function_name is not None
            return self._invoke_lambda(resource.function_name, resource.arn, payload)
        if resource.kind == res.LAMBDA_INVOKE:
            if not isinstance(payload, dict) or not isinstance(payload.get("FunctionName"), str):
                raise StatesError(err.RUNTIME, f"state '{state.name}': lambda:invoke needs Parameters.FunctionName")
            function = payload["FunctionName"]
            event = payload.get("Payload", {})
            output = self._invoke_lambda(_function_name(function), function, event)
            if payload.get("InvocationType") == "Event":
                return {"Payload": "", "StatusCode": 202}
            return {
                "ExecutedVersion": "$LATEST",
                "Payload": output,
                "SdkHttpMetadata": {"HttpStatusCode": 200},
                "SdkResponseMetadata": {"RequestId": str(_uuid(self.rng))},
                "StatusCode": 200,
            }
        if resource.kind == res.START_EXECUTION:
            child = self._start_child_execution(execution, payload)
            return {"ExecutionArn": child.arn, "StartDate": iso_timestamp(child.start)}
        return self._call_sdk(resource, payload)

    def _invoke_lambda(self, function_name: str, arn: str, event: Any) -> Any:
        handler = self._handlers.get(function_name)
        if handler is None:
            raise StatesError(
                "Lambda.ResourceNotFoundException",
                f"Function not found: {arn} (no handler registered for '{function_name}')",
            )
        request_id = str(_uuid(self.rng))
        context = LambdaContext(
            function_name,
            arn if arn.startswith("arn:") else f"arn:aws:lambda:{self.region}:{self.account}:function:{function_name}",
            request_id,
        )
        try:
            return handler(_json_copy(event), context)
        except StatesError:
            raise
        except Exception as exc:  # a handler's failure is the task's failure, as in Lambda
            error_type = type(exc).__name__
            cause = {
                "errorMessage": str(exc),
                "errorType": error_type,
                "requestId": request_id,
                "stackTrace": traceback.format_tb(exc.__traceback__),
            }
            raise StatesError(error_type, json.dumps(cause)) from exc

    def _call_sdk(self, resource: res.Resource, payload: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

        assert resource.client_name is not None and resource.action is not None
        client = self._client(resource.client_name)
        if not isinstance(payload, dict):
            raise StatesError(err.RUNTIME, f"{resource.arn}: Parameters must be an object")
        params = dict(payload)
        # The optimized SNS/SQS integrations accept a JSON object as the message and serialise it.
        for key in ("Message", "MessageBody"):
            if key in params and not isinstance(params[key], str) and resource.client_name in ("sns", "sqs"):
                params[key] = json.dumps(params[key], separators=(",", ":"))
        method = getattr(client, res.boto3_method_name(resource.action), None)
        if method is None:
            raise StatesError(
                err.RUNTIME,
                f"{resource.arn}: the {resource.client_name} client has no action '{resource.action}'",
            )
        sdk_style = ":aws-sdk:" in resource.arn
        try:
            response = method(**params)
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", "Unknown"))
            if sdk_style and not code.endswith("Exception"):
                code += "Exception"
            raise StatesError(f"{resource.error_prefix}.{code}", str(exc)) from exc
        except ParamValidationError as exc:
            raise StatesError(f"{resource.error_prefix}.ValidationException", str(exc)) from exc
        except BotoCoreError as exc:
            raise StatesError(f"{resource.error_prefix}.SdkClientException", str(exc)) from exc
        response.pop("ResponseMetadata", None)
        return _jsonable(response)

    def _client(self, name: str) -> Any:
        provider = self._clients
        client = None
        if callable(provider):
            client = provider(name)
        elif provider is not None:
            client = provider.get(name)
        if client is None:
            raise StatesError(err.TASK_FAILED, f"no boto3 '{name}' client was given to the local executor")
        return client

    def _start_child_execution(self, parent: Execution, payload: Any) -> Execution:
        if not isinstance(payload, dict) or not isinstance(payload.get("StateMachineArn"), str):
            raise StatesError(err.RUNTIME, "states:startExecution needs Parameters.StateMachineArn")
        child_input = payload.get("Input", {})
        try:
            return self.start_execution(payload["StateMachineArn"], child_input, name=payload.get("Name"))
        except SfnApiError as exc:
            raise StatesError(f"StepFunctions.{exc.code}Exception", exc.message) from exc

    def _new_token(self) -> str:
        return f"{self.rng.getrandbits(256):064x}"

    # ------------------------------------------------------------ reading results

    def describe_execution(self, arn: str) -> dict[str, Any]:
        execution = self.execution(arn)
        answer: dict[str, Any] = {
            "executionArn": execution.arn,
            "stateMachineArn": execution.state_machine.arn,
            "name": execution.name,
            "status": execution.status,
            "startDate": to_datetime(execution.start),
            "input": execution.input_text,
            "inputDetails": {"included": True},
        }
        if execution.stop is not None:
            answer["stopDate"] = to_datetime(execution.stop)
        if execution.status == SUCCEEDED:
            answer["output"] = execution.output_text
            answer["outputDetails"] = {"included": True}
        if execution.error is not None:
            answer["error"] = execution.error
        if execution.cause is not None:
            answer["cause"] = execution.cause
        return answer

    def get_execution_history(self, arn: str) -> list[dict[str, Any]]:
        """Events shaped as AWS returns them (ids, previousEventId, timestamp, type, details)."""
        events = []
        for event_id, (kind, when, details) in enumerate(self.execution(arn).history, start=1):
            rendered = {
                key: json.dumps(value, separators=(",", ":")) if key in ("input", "output", "parameters") else value
                for key, value in details.items()
            }
            detail_key = kind[0].lower() + kind[1:] + "EventDetails"
            events.append(
                {
                    "id": event_id,
                    "previousEventId": event_id - 1,
                    "timestamp": to_datetime(when),
                    "type": kind,
                    detail_key: rendered,
                }
            )
        return events


# ---------------------------------------------------------------- helpers

_ENTERED = {
    kind: f"{kind}StateEntered" for kind in ("Pass", "Task", "Choice", "Wait", "Succeed", "Fail", "Parallel", "Map")
}
_EXITED = {kind: f"{kind}StateExited" for kind in ("Pass", "Task", "Choice", "Wait", "Succeed", "Parallel", "Map")}


def _input(state: State, data: Any, context: Any) -> Any:
    return _io_path(state.input_path, state.input_null, data, context, "InputPath")


def _output(state: State, data: Any, context: Any) -> Any:
    return _io_path(state.output_path, state.output_null, data, context, "OutputPath")


def _io_path(path: JsonPath | None, null: bool, data: Any, context: Any, field: str) -> Any:
    """InputPath / OutputPath: null gives {}, absent (or "$") passes the document through."""
    if null:
        return {}
    if path is None:
        return data
    return path.resolve(data, context, field=field)


def _result(state: State, data: Any, result: Any) -> Any:
    if state.result_discard:
        return data
    if state.result_path is None:
        return result
    return set_path(data, state.result_path, result)


def _matches(error_equals: tuple[str, ...], failure: StatesError) -> bool:
    error = failure.error
    for name in error_equals:
        if name == error or name == err.ALL:
            return True
        if name == err.TASK_FAILED and error != err.TIMEOUT:
            return True
        if name == err.HEARTBEAT_TIMEOUT and isinstance(failure, _HeartbeatTimeout):
            return True
    return False


def _returns_a_payload(response: MockedResponse) -> bool:
    return all(
        kind != "Return" or (isinstance(value, dict) and "Payload" in value) for *_, kind, value in response.entries
    )


def _respond(execution: Execution, name: str, mock: MockedResponse) -> Any:
    """The mocked response's entry for this invocation; invocations are counted per execution and name."""
    call = execution.mock_calls.get(name, 0)
    execution.mock_calls[name] = call + 1
    return mock.respond(call)


def _unmocked(execution: Execution, name: str, what: str) -> StatesError:
    case = execution.mock_case
    where = f"test case '{case.name}' does not mock '{name}'" if case else "no mock test case was chosen"
    return StatesError(err.RUNTIME, f"the local executor cannot run {what}, and {where}")


def _mocked_field(execution: Execution, state: str, field: str) -> Any:
    """A distributed Map's ItemReader / ResultWriter, from the test case (see `field_mock_name`)."""
    name = field_mock_name(state, field)
    mock = execution.mock_case.states.get(name) if execution.mock_case else None
    if mock is None:
        raise _unmocked(execution, name, f"the {field} of Map state '{state}' (it calls S3)")
    value = _respond(execution, name, mock)
    if field == "ItemReader" and not isinstance(value, list):
        raise StatesError(err.RUNTIME, f"mocked response '{mock.name}' for '{name}' must return an array of items")
    return value


def _positive_int_at(path: Any, payload: Any, label: str) -> int:
    value = path.get(payload, field=label)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise StatesError(
            err.RUNTIME, f"{label} '{path.text}' must point to a positive integer, got {json.dumps(value)}"
        )
    return value


def _parse_input(value: Any) -> tuple[Any, str]:
    if value is None:
        return {}, "{}"
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError as exc:
            raise SfnApiError("InvalidExecutionInput", f"Invalid State Machine Execution Input: {exc}") from None
        text = value
    else:
        try:
            text = json.dumps(value, separators=(",", ":"))
        except (TypeError, ValueError) as exc:
            raise SfnApiError("InvalidExecutionInput", f"the input is not JSON-serialisable: {exc}") from None
        parsed = json.loads(text)
    if isinstance(value, str):
        too_large = len(text.encode("utf-8", "surrogatepass")) > MAX_PAYLOAD_BYTES
    else:  # `text` escapes non-ASCII (never shorter than UTF-8), so only a long text needs the exact count
        too_large = len(text) > MAX_PAYLOAD_BYTES and _utf8_size(parsed) > MAX_PAYLOAD_BYTES
    if too_large:
        raise SfnApiError("InvalidExecutionInput", "the input is larger than 256 KB")
    return parsed, text


def _utf8_size(value: Any) -> int:
    """Size in UTF-8 bytes of the JSON text of `value`: what the 256 KB payload quota counts."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _json_copy(value: Any, *, limit_error: bool = False) -> Any:
    """A deep copy through JSON, as the service serialises every payload (and bounds its size)."""
    try:
        text = json.dumps(value, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise StatesError("Runtime.MarshalError", f"the result is not JSON-serialisable: {exc}") from None
    # `text` escapes non-ASCII (never shorter than UTF-8), so only a long text needs the exact count.
    if limit_error and len(text) > MAX_PAYLOAD_BYTES and _utf8_size(value) > MAX_PAYLOAD_BYTES:
        raise StatesError(
            err.DATA_LIMIT_EXCEEDED,
            "The state/task returned a result with a size exceeding the maximum number of bytes service limit.",
        )
    return json.loads(text)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        import base64

        return base64.b64encode(value).decode()
    if hasattr(value, "read"):
        return value.read().decode()
    return value


def _sync_result(execution: Execution, *, parsed: bool) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ExecutionArn": execution.arn,
        "Input": execution.input if parsed else execution.input_text,
        "InputDetails": {"Included": True},
        "Name": execution.name,
        "StartDate": iso_timestamp(execution.start),
        "StateMachineArn": execution.state_machine.arn,
        "Status": execution.status,
        "StopDate": iso_timestamp(execution.stop or execution.start),
    }
    if execution.status == SUCCEEDED:
        result["Output"] = execution.output if parsed else execution.output_text
        result["OutputDetails"] = {"Included": True}
    if execution.error is not None:
        result["Error"] = execution.error
    if execution.cause is not None:
        result["Cause"] = execution.cause
    return result


def _function_name(function: str) -> str:
    """Function name from a name, a partial ARN or a full ARN (with or without a qualifier)."""
    if function.startswith("arn:"):
        parts = function.split(":")
        return parts[6] if len(parts) > 6 else function
    if ":" in function:
        parts = function.split(":")
        # "123456789012:function:name" or "name:alias"
        return parts[2] if len(parts) > 2 and parts[1] == "function" else parts[0]
    return function


def _check_name(name: str, what: str) -> None:
    if not isinstance(name, str) or not 1 <= len(name) <= 80 or _INVALID_NAME.search(name):
        raise SfnApiError(
            "InvalidName",
            f"Invalid {what} name {name!r}: 1-80 characters, no spaces, brackets, wildcards or special characters",
        )


def _uuid(rng: random.Random) -> Any:
    import uuid

    return uuid.UUID(int=rng.getrandbits(128), version=4)
