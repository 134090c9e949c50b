"""How the local runtime scales: N subscribed Shopify sign-ups through the welcome series and the acquisition
nurture, 30 virtual days.

Each size runs in a fresh interpreter (so peak RSS is that run's own) through ``run_scenario``, the code
behind ``nurture run``: signed webhooks into the real ingest handler, the queue drained into the real
process handler, the journeys on the local executor calling the real send handler, SES on moto. Nobody
orders, so every contact is a lead: the welcome series' three emails and the acquisition nurture's four
lessons. Every run is verified before its time is reported (every contact got its seven emails, both of
its executions succeeded, nothing rejected, nothing in the dead-letter queue).

Prints ``name: value unit`` lines:
  * ``local_runtime_<N>_contacts_wall``, ``..._contacts_per_second``, ``..._peak_rss`` for each N;
  * where the time goes per contact (exclusive time: AWS emulation, handlers' own code, rendering and
    MIME, the executor and runner), and the one-off start-up (moto, the deploy of template.yaml) and
    report (reading back what was sent);
  * the baseline measured in the same run: the same scenario on moto's DynamoDB (what the runtime used
    before its in-memory DynamoDB) at a size it can afford, and the speed-up per contact;
  * the cost per contact at the largest size against the smallest (the goal: within 1.3x).

    .venv/bin/python bench/local_runtime.py [--sizes 200,2000,20000] [--baseline-contacts 50]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
SIGN_UP_SPAN = timedelta(days=7)
DAYS_AFTER = 30
EMAILS_PER_CONTACT = 7  # the welcome series (3) and the acquisition nurture's lessons (4)
EXECUTIONS_PER_CONTACT = 2
TARGET_CONTACTS_PER_SECOND = 33.0
TARGET_SCALING_RATIO = 1.3
TARGET_PEAK_RSS_MB = 1024
ONE_OFF = ("start-up", "report")  # moto and the template's deploy; reading back what was sent


class BenchmarkError(AssertionError):
    """The run being timed did not do what it should: its figures would be meaningless."""


def sign_up(i: int, at: datetime) -> dict[str, Any]:
    """A Shopify customers/create body (the published shape) for a contact who ticked the consent box."""
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    customer_id = 7_100_000_000 + i
    return {
        "id": customer_id,
        "created_at": stamp,
        "updated_at": stamp,
        "first_name": f"Contact{i}",
        "last_name": "Bench",
        "state": "enabled",
        "verified_email": True,
        "email": f"contact{i}@bench.example.com",
        "phone": None,
        "currency": "EUR",
        "email_marketing_consent": {
            "state": "subscribed",
            "opt_in_level": "single_opt_in",
            "consent_updated_at": stamp,
        },
        "sms_marketing_consent": None,
        "addresses": [],
        "default_address": {"city": "Lyon", "province": None, "country_code": "FR", "default": True},
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
    }


def scenario(contacts: int) -> list[Any]:
    from nurture_local.runtime.scenario import DEFAULT_STORES, ScenarioLine

    lines = []
    for i in range(contacts):
        at = START + SIGN_UP_SPAN * i / contacts
        body = json.dumps(sign_up(i, at), separators=(",", ":")).encode()
        lines.append(
            ScenarioLine(i + 1, at, "shopify", "customers/create", body, DEFAULT_STORES["shopify"], f"bench-{i}")
        )
    return lines


class ExclusiveTimer:
    """Charges wall time to the innermost category being run (a handler's AWS calls count as AWS)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self._stack = ["executor and runner"]
        self._last = time.perf_counter()

    @contextmanager
    def charge(self, category: str) -> Iterator[None]:
        now = time.perf_counter()
        self.seconds[self._stack[-1]] += now - self._last
        self._stack.append(category)
        self._last = now
        try:
            yield
        finally:
            now = time.perf_counter()
            self.seconds[self._stack.pop()] += now - self._last
            self._last = now

    def wrap(self, owner: Any, name: str, category: str) -> None:
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            with self.charge(category):
                return original(*args, **kwargs)

        setattr(owner, name, timed)


def instrument(timer: ExclusiveTimer) -> None:
    import botocore.client

    from nurture.messaging.sending import JourneySender
    from nurture_local.runtime import runner
    from nurture_local.runtime.environment import LocalEnvironment

    timer.wrap(JourneySender, "build", "rendering and MIME")
    timer.wrap(LocalEnvironment, "__enter__", "start-up")
    timer.wrap(runner, "_sent_messages", "report")
    timer.wrap(LocalEnvironment, "invoke", "handlers")
    original_wrap = LocalEnvironment._wrap

    def wrap_for_executor(self: Any, function: Any) -> Any:
        invoke = original_wrap(self, function)

        def timed(event: Any, context: Any) -> Any:
            with timer.charge("handlers"):
                return invoke(event, context)

        return timed

    LocalEnvironment._wrap = wrap_for_executor  # type: ignore[method-assign]
    original_start = LocalEnvironment._start

    def start_then_time_aws(self: Any) -> None:
        original_start(self)
        # After the environment routed its calls, so that routed and moto-answered calls both count.
        timer.wrap(botocore.client.BaseClient, "_make_api_call", "AWS emulation")

    LocalEnvironment._start = start_then_time_aws  # type: ignore[method-assign]


def child(contacts: int, dynamodb: str) -> dict[str, Any]:
    """One timed run in this (fresh) interpreter; returns its figures as JSON-able data."""
    from nurture_local.runtime.environment import LocalConfig
    from nurture_local.runtime.runner import run_scenario

    lines = scenario(contacts)
    timer = ExclusiveTimer()
    instrument(timer)
    started = time.perf_counter()
    report = run_scenario(lines, root=ROOT, days=DAYS_AFTER, config=LocalConfig(dynamodb=dynamodb))
    wall = time.perf_counter() - started
    with timer.charge("executor and runner"):
        pass  # close the last open interval
    sent_per_contact = defaultdict(int)
    for message in report.messages:
        sent_per_contact[message.to] += 1
    if report.rejected or report.dead_letters:
        raise BenchmarkError(f"rejected {report.rejected[:3]}, dead letters {report.dead_letters}")
    if report.executions != {"SUCCEEDED": EXECUTIONS_PER_CONTACT * contacts}:
        raise BenchmarkError(f"executions {report.executions}, expected {EXECUTIONS_PER_CONTACT * contacts} SUCCEEDED")
    if len(sent_per_contact) != contacts or set(sent_per_contact.values()) != {EMAILS_PER_CONTACT}:
        raise BenchmarkError(f"{len(report.messages)} emails to {len(sent_per_contact)} contacts")
    return {
        "contacts": contacts,
        "dynamodb": dynamodb,
        "wall": wall,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "seconds": dict(timer.seconds),
    }


def measure(contacts: int, dynamodb: str) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(contacts), "--dynamodb", dynamodb],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def per_contact_seconds(result: dict[str, Any]) -> float:
    """Cost per contact, without the one-off start-up (moto, the template's deploy) and report."""
    one_off = sum(result["seconds"].get(category, 0.0) for category in ONE_OFF)
    return float(result["wall"] - one_off) / int(result["contacts"])


def report(result: dict[str, Any]) -> None:
    n = result["contacts"]
    prefix = f"local_runtime_{n}_contacts"
    print(f"{prefix}_wall: {result['wall']:.1f} s")
    print(f"{prefix}_per_second: {n / result['wall']:.1f} contacts/s")
    print(f"{prefix}_peak_rss: {result['peak_rss_mb']:.0f} MB")
    for category, seconds in sorted(result["seconds"].items(), key=lambda kv: -kv[1]):
        if category in ONE_OFF:
            print(f"{prefix}_{category.replace('-', '_')}: {seconds:.2f} s (once per run)")
        else:
            slug = category.replace(" ", "_")
            print(f"{prefix}_per_contact_{slug}: {seconds / n * 1000:.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="200,2000,20000", help="comma-separated contact counts")
    parser.add_argument("--baseline-contacts", type=int, default=50, help="size of the moto-DynamoDB baseline")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--dynamodb", default="in-memory", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.dynamodb)))
        return
    sizes = [int(size) for size in args.sizes.split(",")]
    results = []
    for contacts in sizes:
        result = measure(contacts, "in-memory")
        report(result)
        results.append(result)
    baseline = measure(args.baseline_contacts, "moto")
    print(f"baseline_moto_dynamodb_{args.baseline_contacts}_contacts_wall: {baseline['wall']:.1f} s")
    print(f"baseline_moto_dynamodb_per_contact: {per_contact_seconds(baseline) * 1000:.1f} ms")
    smallest, largest = results[0], results[-1]
    print(
        f"speedup_vs_moto_dynamodb_per_contact: {per_contact_seconds(baseline) / per_contact_seconds(smallest):.1f} x"
    )
    ratio = per_contact_seconds(largest) / per_contact_seconds(smallest)
    print(f"cost_per_contact_{largest['contacts']}_vs_{smallest['contacts']}: {ratio:.2f} x")
    by_size = {r["contacts"]: r for r in results}
    if 2000 in by_size:
        at_2000 = by_size[2000]
        rate = 2000 / at_2000["wall"]
        print(f"target_2000_contacts_at_33_per_second: {'met' if rate >= TARGET_CONTACTS_PER_SECOND else 'NOT met'}")
        rss_ok = at_2000["peak_rss_mb"] <= TARGET_PEAK_RSS_MB
        print(f"target_2000_contacts_peak_rss_1GB: {'met' if rss_ok else 'NOT met'}")
        if 200 in by_size:
            scaling = per_contact_seconds(at_2000) / per_contact_seconds(by_size[200])
            verdict = "met" if scaling <= TARGET_SCALING_RATIO else "NOT met"
            print(f"target_cost_per_contact_2000_vs_200_within_1.3x: {verdict}")


if __name__ == "__main__":
    main()
