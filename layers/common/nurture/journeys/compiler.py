"""A journey definition → an Amazon States Language state machine (JSONPath), as docs/journeys.md
("Tasks", "The compiler") specifies. Pure: the output is a dict; `render_definition` gives the
committed text (statemachines/<id>.asl.json).

Every Task invokes the one JourneyStepFunction (``${JourneyStepFunctionArn}``, a SAM
DefinitionSubstitution) with the contract's Payload. The Retry policy is written once, here, and its
error names are the Python classes' names (a Python Lambda reports ``errorType`` = the class name).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from nurture.errors import DependencyUnavailable
from nurture.journeys.definition import (
    ENGAGEMENT_EVENTS,
    BranchStep,
    ExitStep,
    Journey,
    JourneyDefinitionError,
    SendStep,
    SplitStep,
    Step,
    UpdateStep,
    WaitForStep,
    WaitSpec,
    WaitStep,
    arms_of,
    parse_duration,
    step_id_of,
    walk_steps,
)
from nurture.journeys.errors import EnrolmentEnded, SendDeferred
from nurture.messaging.errors import AccountSendingPaused, RetryableSendError

FUNCTION_ARN = "${JourneyStepFunctionArn}"
INVOKE = "arn:aws:states:::lambda:invoke"
INVOKE_AND_WAIT = f"{INVOKE}.waitForTaskToken"
TASK_TIMEOUT_SECONDS = 60  # one invocation; a send renders and calls SES well within it
COMPLETE_STATE = "Journey complete"
ENDED_EARLY_STATE = "Journey ended early"
MAX_STATE_NAME = 80  # Step Functions' limit
STATES_TIMEOUT = "States.Timeout"
LAMBDA_SERVICE_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
    "Lambda.ClientExecutionTimeoutException",
)
RESULT_FIELDS = ("status", "reason", "message_id", "next_at", "arm", "channel")
DEFERRED_PATH = "$.deferred"  # a deferred send's error (its Cause, then the instant parsed from it)
_ENGAGEMENT_WORDS = {"email.delivered": "delivery", "email.opened": "an open", "email.clicked": "a click"}
_UNIT_WORDS = {"w": "week", "d": "day", "h": "hour", "m": "minute"}


@dataclass(frozen=True)
class Retrier:
    comment: str
    errors: tuple[str, ...]
    interval_seconds: int
    max_attempts: int
    backoff_rate: float
    max_delay_seconds: int | None = None
    full_jitter: bool = True

    def as_asl(self, *, waits_for_token: bool) -> dict[str, Any]:
        # On a token task States.Timeout is the engagement timeout (caught: on_timeout), not a failure.
        errors = [error for error in self.errors if not (waits_for_token and error == STATES_TIMEOUT)]
        rule: dict[str, Any] = {
            "Comment": self.comment,
            "ErrorEquals": errors,
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
        }
        if self.max_delay_seconds is not None:
            rule["MaxDelaySeconds"] = self.max_delay_seconds
        if self.full_jitter:
            rule["JitterStrategy"] = "FULL"
        return rule


# The one Retry policy of every journey task (values as the hand-written welcome machine had them).
RETRY_POLICY = (
    Retrier(
        "Lambda service errors: the function did not run or its answer was lost (the send claim keeps a"
        " retry from sending twice).",
        LAMBDA_SERVICE_ERRORS,
        interval_seconds=2,
        max_attempts=6,
        backoff_rate=2,
    ),
    Retrier(
        "The function crashed or timed out (its claim tells the retry whether SES was called: if it was,"
        " the task answers outcome_unknown and the journey goes on; it never sends twice).",
        ("Sandbox.Timedout", "Lambda.Unknown", STATES_TIMEOUT),
        interval_seconds=10,
        max_attempts=3,
        backoff_rate=2,
    ),
    Retrier(
        "SES throttled or failed before accepting the message (claim marked failed), or the table was"
        " unavailable (a claim that never reached SES is taken over by the retry).",
        (RetryableSendError.__name__, DependencyUnavailable.__name__),
        interval_seconds=5,
        max_attempts=8,
        backoff_rate=2,
        max_delay_seconds=900,
    ),
    Retrier(
        "Sending paused for the account or configuration set: wait for an operator, for about two days"
        " (1 h, growing to 6 h).",
        (AccountSendingPaused.__name__,),
        interval_seconds=3600,
        max_attempts=12,
        backoff_rate=1.5,
        max_delay_seconds=21600,
        full_jitter=False,
    ),
)


def retry_policy(*, waits_for_token: bool) -> list[dict[str, Any]]:
    return [retrier.as_asl(waits_for_token=waits_for_token) for retrier in RETRY_POLICY]


def entry_wait(journey: Journey) -> tuple[str, dict[str, Any]] | None:
    """A journey that begins with a wait for a time of day or a date: where the router puts the wake-up
    in the execution input (``$.steps.<key>.next_at``) and the ``next_wait`` to plan it with. None when
    the journey starts otherwise (a plain duration needs no planning: its Wait counts the seconds)."""
    first = journey.steps[0]
    if not isinstance(first, WaitStep) or _is_plain(first.wait):
        return None
    compiler = _Compiler(journey)
    compiler._name(journey.steps, at=())
    return compiler.plans[(0,)].key, _next_wait(first.wait, then_send=_send_id(journey.steps, 1))


def compile_journey(journey: Journey) -> dict[str, Any]:
    """The state machine definition of one journey (raises JourneyDefinitionError for steps that
    can never run)."""
    return _Compiler(journey).compile()


def render_definition(definition: dict[str, Any]) -> str:
    """The committed text: 2-space JSON in the compiler's key order, a trailing newline."""
    return json.dumps(definition, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------- naming


def duration_words(text: str) -> str:
    """``"2d"`` → ``"2 days"``, ``"1w 2d"`` → ``"1 week 2 days"`` (the units as written)."""
    parse_duration(text)
    parts = []
    for amount, unit in re.findall(r"(\d+)\s*([wdhm])", text):
        word = _UNIT_WORDS[unit]
        parts.append(f"{int(amount)} {word}{'' if int(amount) == 1 else 's'}")
    return " ".join(parts)


def _words(step_id: str) -> str:
    return step_id.replace("_", " ")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _wait_name(wait: WaitSpec) -> str:
    if wait.name:
        return wait.name
    until = f"until {wait.until}" if wait.until else ""
    at = f"{wait.at:%H:%M}" if wait.at else ""
    if wait.duration:
        return f"Wait {duration_words(wait.duration)}" + (f", until {at}" if at else "")
    if until:
        return f"Wait {until}" + (f" at {at}" if at else "")
    return f"Wait until {at}"


def _wait_for_name(step: WaitForStep) -> str:
    spec = step.wait_for
    return spec.name or f"Wait up to {duration_words(spec.timeout)} for {_ENGAGEMENT_WORDS.get(spec.event, spec.event)}"


def _update_name(step: UpdateStep) -> str:
    spec = step.update
    if spec.name:
        return spec.name
    actions = [
        f"{label} {value}"
        for label, value in (
            ("Add to list", spec.add_to_list),
            ("Remove from list", spec.remove_from_list),
            ("Add tag", spec.add_tag),
            ("Remove tag", spec.remove_tag),
        )
        if value
    ]
    return ", ".join(actions)


def _fuses(steps: tuple[Step, ...], index: int) -> bool:
    """A send followed by an engagement wait_for becomes one `.waitForTaskToken` Task."""
    return (
        isinstance(steps[index], SendStep)
        and index + 1 < len(steps)
        and isinstance(following := steps[index + 1], WaitForStep)
        and following.wait_for.event in ENGAGEMENT_EVENTS
    )


def _is_plain(wait: WaitSpec) -> bool:
    return wait.duration is not None and wait.at is None and wait.until is None


def _send_id(steps: tuple[Step, ...], index: int) -> str | None:
    """The send step at ``index``, if that is one (a wait before it ends when the send is allowed)."""
    step = steps[index] if index < len(steps) else None
    return step.send.id if isinstance(step, SendStep) else None


def _next_wait(wait: WaitSpec, then_send: str | None = None) -> dict[str, Any]:
    planned: dict[str, Any] = {}
    if wait.duration is not None:
        planned["seconds"] = int(parse_duration(wait.duration).total_seconds())
    if wait.at is not None:
        planned["at"] = f"{wait.at:%H:%M}"
    if wait.until is not None:
        planned["until"] = wait.until
    if then_send is not None:
        # The wake-up is moved to when that send's delivery rules allow it (quiet hours, send hour).
        planned["send"] = then_send
    return planned


# Where a step sits: its index in the journey's steps, then (arm number, index in the arm) per level.
# Keyed by position, not identity: one step object may be reused in two arms of a Python-built journey.
StepPath = tuple[int, ...]


@dataclass
class _Plan:
    """What the naming pass decided for one step (keyed by its StepPath)."""

    names: tuple[str, ...]  # the states it compiles to, in flow order
    key: str  # where its result goes: $.steps.<key>
    wait_source: str | None = None  # a Wait's TimestampPath reads $.steps.<wait_source>.next_at
    entry: bool = False  # the journey's first wait: the router put its next_at in the execution input


class _Compiler:
    def __init__(self, journey: Journey) -> None:
        self.journey = journey
        self.plans: dict[StepPath, _Plan] = {}
        self.taken = {COMPLETE_STATE, ENDED_EARLY_STATE}
        self.order: list[str] = []
        self.states: dict[str, dict[str, Any]] = {}
        self.derived_keys = 0
        self.user_ids = {step_id for step in walk_steps(journey.steps) if (step_id := step_id_of(step))}

    # ------------------------------------------------------------ pass 1: names, keys, wait modes

    def _unique(self, name: str) -> str:
        candidate, copy = name[:MAX_STATE_NAME], 1
        while candidate in self.taken:
            copy += 1
            suffix = f" ({copy})"
            candidate = name[: MAX_STATE_NAME - len(suffix)] + suffix
        self.taken.add(candidate)
        self.order.append(candidate)
        return candidate

    def _deferral_names(self, send: str) -> tuple[str, str]:
        """The two states of a send's deferred path (only a deferred send enters them)."""
        return self._unique(f"{send}: deferred"), self._unique(f"{send}: wait until allowed")

    def _derived_key(self, prefix: str) -> str:
        while True:
            self.derived_keys += 1
            key = f"{prefix}_{self.derived_keys}"
            if key not in self.user_ids:
                return key

    def _name(self, steps: tuple[Step, ...], at: StepPath) -> None:
        index = 0
        while index < len(steps):
            step, path = steps[index], (*at, index)
            if isinstance(step, ExitStep) and index + 1 < len(steps):
                raise JourneyDefinitionError(
                    f"{self.journey.id}: the steps after exit {step.exit.reason!r} can never run; remove them"
                )
            if _fuses(steps, index):
                send, wait_for = step, steps[index + 1]
                assert isinstance(send, SendStep) and isinstance(wait_for, WaitForStep)
                send_name = send.send.name or f"Send {_words(send.send.id)}"
                fused = f"{send_name} and {_lower_first(_wait_for_name(wait_for))}"
                fused_name = self._unique(fused)
                self.plans[path] = _Plan((fused_name, *self._deferral_names(fused_name)), key=wait_for.wait_for.id)
                self._name(wait_for.wait_for.on_event, (*at, index + 1, 0))
                self._name(wait_for.wait_for.on_timeout, (*at, index + 1, 1))
                index += 2
                continue
            if isinstance(step, WaitStep) and path == (0,) and not _is_plain(step.wait):
                # The journey's first step: the router plans it when it starts the execution.
                key = step.wait.id or self._derived_key("wait")
                self.plans[path] = _Plan((self._unique(_wait_name(step.wait)),), key=key, wait_source=key, entry=True)
            elif isinstance(step, WaitStep):
                self.plans[path] = self._plan_wait(step.wait, previous=steps[index - 1] if index else None)
            else:
                self.plans[path] = self._plan_for(step)
            for number, arm in enumerate(arms_of(step)):
                self._name(arm, (*path, number))
            index += 1

    def _plan_wait(self, wait: WaitSpec, previous: Step | None) -> _Plan:
        if isinstance(previous, SendStep | UpdateStep):
            # The task before computes the wake-up time (the contact's zone, the hour): no extra state.
            source = step_id_of(previous)
            assert source is not None  # sends and updates always have an id
            return _Plan((self._unique(_wait_name(wait)),), key=source, wait_source=source)
        if _is_plain(wait):
            return _Plan((self._unique(_wait_name(wait)),), key=wait.id or "")
        key = wait.id or self._derived_key("wait")
        plan_name = self._unique(f"Plan: {_wait_name(wait)}")
        return _Plan((plan_name, self._unique(_wait_name(wait))), key=key, wait_source=key)

    def _plan_for(self, step: Step) -> _Plan:
        if isinstance(step, SendStep):
            name = self._unique(step.send.name or f"Send {_words(step.send.id)}")
            return _Plan((name, *self._deferral_names(name)), key=step.send.id)
        if isinstance(step, WaitForStep):
            return _Plan((self._unique(_wait_for_name(step)),), key=step.wait_for.id)
        if isinstance(step, BranchStep):
            task = self._unique(step.branch.name or f"Evaluate {_words(step.branch.id)}")
            return _Plan((task, self._unique(f"{task}: which arm?")), key=step.branch.id)
        if isinstance(step, SplitStep):
            task = self._unique(step.split.name or f"Split {_words(step.split.id)}")
            return _Plan((task, self._unique(f"{task}: which arm?")), key=step.split.id)
        if isinstance(step, UpdateStep):
            return _Plan((self._unique(_update_name(step)),), key=step.update.id)
        assert isinstance(step, ExitStep)
        name = step.exit.name or f"Exit: {_words(step.exit.reason)}"
        return _Plan((self._unique(name),), key=self._derived_key("exit"))

    # ------------------------------------------------------------ pass 2: states

    def compile(self) -> dict[str, Any]:
        self._name(self.journey.steps, at=())
        start = self._sequence(self.journey.steps, then=None, at=())
        self.states[ENDED_EARLY_STATE] = {
            "Type": "Succeed",
            "Comment": f"A task raised {EnrolmentEnded.__name__}: the enrolment is no longer running (exited,"
            " unsubscribed, no consent or no address; $.ended says why). Nothing more is sent.",
        }
        ordered = {name: self.states[name] for name in self.order if name in self.states}
        for name in (COMPLETE_STATE, ENDED_EARLY_STATE):
            if name in self.states:
                ordered[name] = self.states[name]
        return {"Comment": self._machine_comment(), "StartAt": start, "States": ordered}

    def _machine_comment(self) -> str:
        journey = self.journey
        shape = {
            "journey": journey.id,
            "contact_id": "…",
            "enrolment": {"id": "…", "key": "…" if journey.key != "contact" else None, "occurrence": 1},
            "steps": {},
        }
        description = " ".join(journey.description.split())
        return (
            f"{journey.name}: {description} Input: {json.dumps(shape, ensure_ascii=False)}; the execution is"
            f" named after the enrolment. Compiled from nurture/catalogue/{journey.id}.yaml by"
            " nurture.journeys.compiler (nurture journeys build): do not edit by hand."
        )

    def _end(self) -> str:
        """Where a path goes when it ends on a state that cannot record completion itself."""
        if COMPLETE_STATE not in self.states:
            self.states[COMPLETE_STATE] = self._task(
                COMPLETE_STATE,
                "Records the enrolment completed and applies on_completion (the path ended on a wait or"
                " an engagement outcome, which cannot do it themselves).",
                action="complete",
                step="complete",
                result_path="$.completed",
                next_state=None,
            )
        return COMPLETE_STATE

    def _sequence(self, steps: tuple[Step, ...], then: str | None, at: StepPath) -> str:
        """Compile steps going on to ``then`` (None: the journey ends); returns the first state's name."""
        if not steps:
            return then if then is not None else self._end()
        index = 0
        while index < len(steps):
            step, path = steps[index], (*at, index)
            after = index + 2 if _fuses(steps, index) else index + 1
            following = steps[after] if after < len(steps) else None
            following_plan = self.plans[(*at, after)] if following is not None else None
            next_state = following_plan.names[0] if following_plan is not None else then
            if after == index + 2:
                wait_for = steps[index + 1]
                assert isinstance(step, SendStep) and isinstance(wait_for, WaitForStep)
                self._send_and_wait(step, wait_for, next_state, path, arms_at=(*at, index + 1))
            elif isinstance(step, WaitStep):
                self._wait(step, next_state, path, then_send=_send_id(steps, index + 1))
            elif isinstance(step, WaitForStep):
                self._await(step, next_state, path)
            elif isinstance(step, BranchStep | SplitStep):
                self._branch(step, next_state, path)
            else:
                next_wait = None
                if (
                    isinstance(following, WaitStep)
                    and following_plan is not None
                    and following_plan.wait_source == self.plans[path].key
                ):
                    next_wait = _next_wait(following.wait, then_send=_send_id(steps, after + 1))
                self._simple_task(step, next_wait, next_state, path)
            index = after
        return self.plans[(*at, 0)].names[0]

    def _simple_task(
        self, step: Step, next_wait: dict[str, Any] | None, next_state: str | None, path: StepPath
    ) -> None:
        plan = self.plans[path]
        name = plan.names[0]
        if isinstance(step, SendStep):
            template = step.send.template or f"{self.journey.id}/{step.send.id}"
            comment = (
                f"Sends the '{template}' email at most once per enrolment (a send claim records this"
                " execution and attempt; a retry never sends twice)."
            )
            action = "send"
        elif isinstance(step, UpdateStep):
            comment = "Updates the contact's lists and tags (idempotent: a retry changes nothing more)."
            action = "update"
        else:
            assert isinstance(step, ExitStep)
            comment = f"Records the enrolment exited ('{step.exit.reason}') and ends the execution."
            self.states[name] = self._task(
                name, comment, action="exit", step=plan.key, result_path=f"$.steps.{plan.key}", next_state=None,
                reason=step.exit.reason,
            )  # fmt: skip
            return
        completes = next_state is None
        if next_wait is not None:
            comment += " Returns next_at, when the wait that follows ends in the contact's zone."
        if completes:
            comment += " The last task of its path: also records the enrolment completed and applies on_completion."
        if action == "send":
            self._deferral(plan.names)
        self.states[name] = self._task(
            name,
            comment,
            action=action,
            step=plan.key,
            result_path=f"$.steps.{plan.key}",
            next_state=next_state,
            next_wait=next_wait,
            completes=completes,
            deferred=plan.names[1] if action == "send" else None,
        )

    def _send_and_wait(
        self, send: SendStep, wait_for: WaitForStep, next_state: str | None, path: StepPath, arms_at: StepPath
    ) -> None:
        names = self.plans[path].names
        name = names[0]
        self._deferral(names)
        spec = wait_for.wait_for
        template = send.send.template or f"{self.journey.id}/{send.send.id}"
        timeout = int(parse_duration(spec.timeout).total_seconds())
        self.states[name] = self._task(
            name,
            f"Sends the '{template}' email at most once per enrolment and stores this task's token on its"
            f" send claim; EngagementFunction resumes it on {spec.event} ($.steps.{spec.id} = the outcome:"
            f" the on_event steps). No {spec.event} within {duration_words(spec.timeout)}: States.Timeout,"
            " caught: the on_timeout steps.",
            action="send",
            step=send.send.id,
            result_path=f"$.steps.{spec.id}",
            next_state=self._sequence(spec.on_event, next_state, (*arms_at, 0)),
            awaits={"event": spec.event, "timeout_seconds": timeout},
            on_timeout=self._sequence(spec.on_timeout, next_state, (*arms_at, 1)),
            deferred=names[1],
        )

    def _deferral(self, names: tuple[str, ...]) -> None:
        """A send the delivery rules defer raises SendDeferred (its message: the instant): caught into
        a Pass that parses the error's Cause, a Wait until that instant, then the same send again."""
        send, parse, wait = names
        self.states[parse] = {
            "Type": "Pass",
            "Comment": f"{SendDeferred.__name__}: the delivery rules deferred the send (quiet hours, send hour,"
            " frequency cap). The error's Cause is the function's error as JSON; its errorMessage is the"
            " instant the send is allowed.",
            "Parameters": {"cause.$": f"States.StringToJson({DEFERRED_PATH}.Cause)"},
            "ResultPath": DEFERRED_PATH,
            "Next": wait,
        }
        self.states[wait] = {
            "Type": "Wait",
            "Comment": "Waits until the send is allowed, then runs the send task again (the rules are checked anew).",
            "TimestampPath": f"{DEFERRED_PATH}.cause.errorMessage",
            "Next": send,
        }

    def _await(self, step: WaitForStep, next_state: str | None, path: StepPath) -> None:
        (name,) = self.plans[path].names
        spec = step.wait_for
        timeout = int(parse_duration(spec.timeout).total_seconds())
        self.states[name] = self._task(
            name,
            f"Records this task's token on the enrolment; the router resumes it when the contact's"
            f" {spec.event} arrives (the on_event steps). None within {duration_words(spec.timeout)}:"
            " States.Timeout, caught: the on_timeout steps.",
            action="await",
            step=spec.id,
            result_path=f"$.steps.{spec.id}",
            next_state=self._sequence(spec.on_event, next_state, (*path, 0)),
            awaits={"event": spec.event, "timeout_seconds": timeout},
            on_timeout=self._sequence(spec.on_timeout, next_state, (*path, 1)),
        )

    def _wait(self, step: WaitStep, next_state: str | None, path: StepPath, then_send: str | None) -> None:
        plan = self.plans[path]
        wait = step.wait
        target = next_state if next_state is not None else self._end()
        if plan.wait_source is None:
            seconds = int(parse_duration(wait.duration or "").total_seconds())
            self.states[plan.names[0]] = {
                "Type": "Wait",
                "Comment": f"Waits {duration_words(wait.duration or '')} (nothing before it to plan the wake-up).",
                "Seconds": seconds,
                "Next": target,
            }
            return
        wait_name = plan.names[-1]
        if len(plan.names) == 2:
            self.states[plan.names[0]] = self._task(
                plan.names[0],
                "Works out when the wait that follows ends (the contact's zone and time of day, a date"
                " on the profile or the enrolment) and returns it as next_at.",
                action="plan",
                step=plan.key,
                result_path=f"$.steps.{plan.key}",
                next_state=wait_name,
                next_wait=_next_wait(wait, then_send=then_send),
            )
        planned_by = "the router planned when it started the journey" if plan.entry else "the task before it returned"
        self.states[wait_name] = {
            "Type": "Wait",
            "Comment": f"Waits until the next_at {planned_by} ({_lower_first(_wait_name(wait))}).",
            "TimestampPath": f"$.steps.{plan.wait_source}.next_at",
            "Next": target,
        }

    def _branch(self, step: BranchStep | SplitStep, next_state: str | None, path: StepPath) -> None:
        plan = self.plans[path]
        task_name, choice_name = plan.names
        arm_path = f"$.steps.{plan.key}.arm"
        if isinstance(step, BranchStep):
            labelled = [(f"arm_{n}", n - 1, arm.steps) for n, arm in enumerate(step.branch.arms, start=1)]
            default_label, default_number, default_steps = "default", len(step.branch.arms), step.branch.default
            comment = (
                "Evaluates the arms' conditions on the contact's current profile and returns the first arm"
                " that holds (arm_1, arm_2, …) or default."
            )
        else:
            arms = [(arm.label, number, arm.steps) for number, arm in enumerate(step.split.arms)]
            labelled, (default_label, default_number, default_steps) = arms[:-1], arms[-1]
            how = "the same arm for a contact every time" if step.split.by == "contact" else "drawn per enrolment"
            comment = f"Picks an arm by percentage ({how}) and returns its label."
        choices = [
            {"Variable": arm_path, "StringEquals": label, "Next": self._sequence(steps, next_state, (*path, number))}
            for label, number, steps in labelled
        ]
        default = self._sequence(default_steps, next_state, (*path, default_number))
        self.states[task_name] = self._task(
            task_name,
            comment,
            action="branch",
            step=plan.key,
            result_path=f"$.steps.{plan.key}",
            next_state=choice_name,
        )
        self.states[choice_name] = {
            "Type": "Choice",
            "Comment": f"Goes on with the arm {task_name!r} returned ({default_label}: the Default).",
            "Choices": choices,
            "Default": default,
        }

    def _task(
        self,
        name: str,
        comment: str,
        *,
        action: str,
        step: str,
        result_path: str,
        next_state: str | None,
        next_wait: dict[str, Any] | None = None,
        completes: bool = False,
        awaits: dict[str, Any] | None = None,
        on_timeout: str | None = None,
        reason: str | None = None,
        deferred: str | None = None,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "action": action,
            "journey": self.journey.id,
            "step": step,
            "contact_id.$": "$.contact_id",
            "enrolment.$": "$.enrolment",
            "execution.$": "$$.Execution.Id",
            "attempt.$": "$$.State.RetryCount",
        }
        if awaits is not None:
            payload["task_token.$"] = "$$.Task.Token"
            payload["await"] = awaits
        if next_wait is not None:
            payload["next_wait"] = next_wait
        if completes:
            payload["completes"] = True
        if reason is not None:
            payload["reason"] = reason
        state: dict[str, Any] = {
            "Type": "Task",
            "Comment": comment,
            "Resource": INVOKE if awaits is None else INVOKE_AND_WAIT,
            "Parameters": {"FunctionName": FUNCTION_ARN, "Payload": payload},
        }
        if awaits is None:
            # A token task's output is SendTaskSuccess's payload, not the function's answer.
            state["ResultSelector"] = {f"{field}.$": f"$.Payload.{field}" for field in RESULT_FIELDS}
        state["ResultPath"] = result_path
        state["TimeoutSeconds"] = TASK_TIMEOUT_SECONDS if awaits is None else awaits["timeout_seconds"]
        state["Retry"] = retry_policy(waits_for_token=awaits is not None)
        catches: list[dict[str, Any]] = [
            {"ErrorEquals": [EnrolmentEnded.__name__], "ResultPath": "$.ended", "Next": ENDED_EARLY_STATE}
        ]
        if on_timeout is not None:
            catches.append({"ErrorEquals": [STATES_TIMEOUT], "ResultPath": result_path, "Next": on_timeout})
        if deferred is not None:
            catches.append({"ErrorEquals": [SendDeferred.__name__], "ResultPath": DEFERRED_PATH, "Next": deferred})
        state["Catch"] = catches
        if next_state is None:
            state["End"] = True
        else:
            state["Next"] = next_state
        return state
