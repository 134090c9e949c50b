"""Apply one event to its contact, then carry out the router's decisions (the process function's logic).

``EventDispatcher.process(event)``:

1. ``profiles.apply(event, triggered=...)``: the profile update, with the journeys it triggers
   decided on the profile before and after (`nurture.journeys.router.triggered_journeys`) and
   recorded on the event item; a duplicate returns the recorded ones.
2. The router's reads: the latest enrolment per triggered journey and key, the running enrolments.
3. Exits, before starts (an event that ends an enrolment may start the next one for its key: a
   reorder restarts the replenishment countdown): mark the enrolment exited (only from running),
   then StopExecution: the mark comes first so a send racing the stop sees it (and so does every
   later task, should the stop itself fail: the redelivery no longer finds the enrolment running,
   and the execution ends at its next task).
4. Starts: write the enrolment (a conditional put), then StartExecution under its id
   (``ExecutionAlreadyExists`` is success). A crash between the two is healed by the redelivery:
   the enrolment is found running with this event as its trigger, and started again.
5. Resumes: SendTaskSuccess to enrolments awaiting this event type; a late one changes nothing.
6. Insights (docs/scoring.md, "Wiring"): step 1 also assessed the contact (scores, tier, segments;
   ``insights``) and recorded the events that raised (``score.crossed``, ``segment.entered`` /
   ``exited``) on the event item; they go to the events queue now, after the cause is routed (a
   duplicate queues its recorded ones again: same ids, applied once). Applying a
   ``score.crossed`` upward through a threshold the model names in ``notify`` publishes an alert.

7. Recommendations data (docs/offers.md, "Recommendations data"), right after step 1: when this
   event's write made its order count (the ``order.counted`` effect of an ``applied`` outcome:
   once per order; a duplicate returns the effects recorded on the first application, and is
   passed over), its co-purchase pairs, category units and product info are recorded
   (``products.record_counted_order``); a ``product.viewed`` records the product's info. A failure
   there is logged and swallowed: these are statistics, and failing the record would re-deliver an
   event whose write is done, whose redelivery (a duplicate) would not record them either.

Logs carry keyword fields only (event id and type, contact id, journey, enrolment id, status),
never an address or an event body.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from nurture.errors import NurtureError
from nurture.events import OrderPaid, OrderPlaced, ProductViewed, ScoreCrossed
from nurture.journeys.compiler import entry_wait
from nurture.journeys.definition import SendStep, walk_steps
from nurture.journeys.enrolments import execution_arn, key_hash, state_machine_arn
from nurture.journeys.router import decide, latest_keys, triggered_journeys
from nurture.journeys.timing import rfc3339
from nurture.journeys.views import profile_view
from nurture.journeys.wake_up import NextWait, plan_wake_up
from nurture.offers.recommend import ProductInfo, product_categories
from nurture.profiles.planning import ORDER_COUNTED

if TYPE_CHECKING:
    from datetime import datetime

    from nurture.adapters.dynamodb_profiles import Assesses, TriggeredBy
    from nurture.adapters.stepfunctions import JourneyStart, ResumeStatus, StopStatus
    from nurture.events import CanonicalEvent, Order
    from nurture.insights.service import ContactInsights
    from nurture.journeys.catalogue import Catalogue
    from nurture.journeys.enrolments import Enrolment
    from nurture.journeys.router import RouterDecision
    from nurture.profiles.model import ApplyResult, Profile
    from nurture.profiles.planning import ProfileChange


class AppliesEvents(Protocol):
    def apply(
        self, event: CanonicalEvent, *, triggered: TriggeredBy | None = None, assess: Assesses | None = None
    ) -> ApplyResult: ...


class StoresEnrolments(Protocol):
    def latest(self, contact_id: str, journey: str, key_hash: str | None) -> Enrolment | None: ...
    def running(self, contact_id: str) -> list[Enrolment]: ...
    def create(self, enrolment: Enrolment) -> bool: ...
    def mark_exited(self, contact_id: str, enrolment_id: str, *, reason: str, at: datetime) -> bool: ...


class RunsExecutions(Protocol):
    def start(self, state_machine_arn: str, name: str, input: Mapping[str, Any]) -> JourneyStart: ...
    def stop(self, execution_arn: str, *, error: str = ..., cause: str) -> StopStatus: ...
    def resume(self, token: str, output: Mapping[str, Any]) -> ResumeStatus: ...


class SendsEvents(Protocol):
    def send(self, events: Sequence[CanonicalEvent]) -> None: ...


class PublishesScoreAlerts(Protocol):
    def publish(self, alert: Mapping[str, Any], *, event_id: str) -> None: ...


class RecordsProducts(Protocol):
    def record_counted_order(self, order: Order, earlier_products: Collection[str]) -> None: ...
    def record_product(self, info: ProductInfo) -> None: ...


class Log(Protocol):
    def info(self, msg: str, *args: Any, **kwargs: Any) -> None: ...
    def warning(self, msg: str, *args: Any, **kwargs: Any) -> None: ...


@dataclass(frozen=True, slots=True)
class EventDispatcher:
    profiles: AppliesEvents
    enrolments: StoresEnrolments
    executions: RunsExecutions
    catalogue: Catalogue
    state_machine_prefix: str
    clock: Callable[[], datetime]
    log: Log
    insights: ContactInsights | None = None
    derived_events: SendsEvents | None = None
    score_alerts: PublishesScoreAlerts | None = None
    products: RecordsProducts | None = None
    disabled: frozenset[str] = frozenset()  # journeys switched off in this deployment: never started

    def process(self, event: CanonicalEvent, **fields: Any) -> str:
        """Apply the event and route it; returns the apply outcome. ``fields`` go on every log line."""
        fields = {**fields, "event_id": event.event_id, "event_type": event.type, "source": event.source}
        assess = self.insights.assessor(event) if self.insights is not None else None
        result = self.profiles.apply(event, triggered=self._triggers_of(event), assess=assess)
        self.log.info(
            "event applied",
            **fields,
            outcome=result.outcome,
            contact_id=result.contact_id,
            profile_created=result.created,
            effects=list(result.effects),
            ignored=list(result.ignored),
            triggered=list(result.triggered),
        )
        if result.identity_conflicts:
            self.log.warning(
                "identifiers belong to another contact",
                **fields,
                contact_id=result.contact_id,
                identity_kinds=list(result.identity_conflicts),
            )
        self._record_products(event, result, {**fields, "contact_id": result.contact_id})
        if result.contact_id is None:
            return result.outcome
        decision = self._decide(event, result, result.contact_id)
        self._carry_out(decision, {**fields, "contact_id": result.contact_id}, result.after)
        self._follow_insights(event, result, {**fields, "contact_id": result.contact_id})
        return result.outcome

    def _record_products(self, event: CanonicalEvent, result: ApplyResult, fields: dict[str, Any]) -> None:
        if self.products is None:
            return
        try:
            # "applied" only: a duplicate returns the effects recorded on its first application.
            counted = result.outcome == "applied" and ORDER_COUNTED in result.effects
            if isinstance(event, OrderPlaced | OrderPaid) and counted:
                earlier = result.before.orders.products if result.before is not None else frozenset()
                self.products.record_counted_order(event.order, earlier)
                self.log.info("order recorded for recommendations", **fields)
            elif isinstance(event, ProductViewed):
                viewed = event.product
                self.products.record_product(
                    ProductInfo(
                        product_id=viewed.product_id,
                        title=viewed.title,
                        url=viewed.url,
                        unit_price=viewed.unit_price,
                        currency=viewed.currency,
                        categories=product_categories(viewed.categories, viewed.product_type),
                    )
                )
        except NurtureError as exc:
            # Statistics, not messages (docs/offers.md): the event is applied and routed all the same
            # (a store refusal or an outage; a programming error is not swallowed).
            self.log.warning("recommendations data not recorded", **fields, error_type=type(exc).__name__)

    def _follow_insights(self, event: CanonicalEvent, result: ApplyResult, fields: dict[str, Any]) -> None:
        if result.derived:
            if self.derived_events is None:
                raise RuntimeError("derived events but no queue to send them to")
            self.derived_events.send(result.derived)
            self.log.info("insights derived", **fields, derived=[derived.type for derived in result.derived])
        if isinstance(event, ScoreCrossed) and self.score_alerts is not None and self._alerts_on(event):
            profile = result.after
            self.score_alerts.publish(score_alert(event, profile), event_id=event.event_id)
            self.log.info("score alert published", **fields, score=event.score, threshold=event.threshold)

    def _alerts_on(self, event: ScoreCrossed) -> bool:
        if event.direction != "up" or self.insights is None:
            return False
        spec = self.insights.config.model.scores.get(event.score)
        return spec is not None and event.threshold in spec.notify

    def _triggers_of(self, event: CanonicalEvent) -> Callable[[ProfileChange], tuple[str, ...]]:
        def triggered(change: ProfileChange) -> tuple[str, ...]:
            journeys = triggered_journeys(self.catalogue, event, change.before, change.after)
            return tuple(journey for journey in journeys if journey not in self.disabled)

        return triggered

    def _decide(self, event: CanonicalEvent, result: ApplyResult, contact_id: str) -> RouterDecision:
        latest = {
            (journey, value): self.enrolments.latest(contact_id, journey, None if value is None else key_hash(value))
            for journey, value in latest_keys(self.catalogue, event, result.triggered)
        }
        return decide(
            self.catalogue,
            event,
            contact_id=contact_id,
            before=result.before,
            after=result.after,
            latest=latest,
            running=self.enrolments.running(contact_id),
            now=self.clock(),
            triggered=result.triggered,
        )

    def _execution_input(self, enrolment: Enrolment, after: Profile | None) -> dict[str, Any]:
        """The enrolment's execution input; for a journey that begins by waiting for a time of day or
        a date, with that wait's end planned here (``steps.<key>.next_at``): no planning task."""
        execution_input = enrolment.execution_input()
        journey = self.catalogue[enrolment.journey]
        entry = entry_wait(journey)
        if entry is None:
            return execution_input
        key, next_wait = entry
        now = self.clock()
        wait = NextWait.model_validate(next_wait)
        views = {
            "profile": profile_view(after, now=now) if after is not None else {},
            "enrolment": {
                "id": enrolment.enrolment_id,
                "key": enrolment.key,
                "occurrence": enrolment.occurrence,
                "data": enrolment.data,
            },
        }
        then_send = next(
            (step for step in walk_steps(journey.steps) if isinstance(step, SendStep) and step.send.id == wait.send),
            None,
        )
        wake_up = plan_wake_up(wait, views, now, then_send=then_send) or now  # a missing date: no wait
        execution_input["steps"] = {key: {"next_at": rfc3339(wake_up)}}
        return execution_input

    def _carry_out(self, decision: RouterDecision, fields: dict[str, Any], after: Profile | None) -> None:
        for exit in decision.exits:
            enrolment = exit.enrolment
            marked = self.enrolments.mark_exited(
                enrolment.contact_id, enrolment.enrolment_id, reason=exit.reason, at=self.clock()
            )
            stopped = self.executions.stop(
                execution_arn(self.state_machine_prefix, enrolment.journey, enrolment.enrolment_id),
                error="JourneyExited",
                cause=exit.reason,
            )
            self.log.info(
                "journey exited",
                **fields,
                journey=enrolment.journey,
                enrolment_id=enrolment.enrolment_id,
                reason=exit.reason,
                marked=marked,
                status=stopped,
            )
        for start in decision.starts:
            enrolment = start.enrolment
            created = False if start.redelivery else self.enrolments.create(enrolment)
            started = self.executions.start(
                state_machine_arn(self.state_machine_prefix, enrolment.journey),
                enrolment.enrolment_id,
                self._execution_input(enrolment, after),
            )
            self.log.info(
                "journey started",
                **fields,
                journey=enrolment.journey,
                enrolment_id=enrolment.enrolment_id,
                occurrence=enrolment.occurrence,
                enrolment_created=created,
                status=started.status,
            )
        for resume in decision.resumes:
            status = self.executions.resume(resume.token, resume.output)
            self.log.info(
                "journey resumed",
                **fields,
                journey=resume.enrolment.journey,
                enrolment_id=resume.enrolment.enrolment_id,
                status=status,
            )


def score_alert(event: ScoreCrossed, profile: Profile | None) -> dict[str, Any]:
    """The message a score alert carries: the crossing, and who crossed it. The topic is the
    operator's own hand-off to a sales team or a CRM (docs/scoring.md), so it names the contact by
    address and first name as well as by id."""
    return {
        "type": event.type,
        "event_id": event.event_id,
        "occurred_at": event.occurred_at.isoformat(),
        "contact_id": event.contact_id,
        "email": profile.email if profile is not None else None,
        "first_name": profile.first_name if profile is not None else None,
        "score": event.score,
        "threshold": event.threshold,
        "threshold_value": event.threshold_value,
        "value": event.value,
    }
