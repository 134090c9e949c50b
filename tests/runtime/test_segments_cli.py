"""`nurture segments`: after a replay on the local runtime, each shipped segment's id, name, size and
members (by email, else contact id), read from the member items through SegmentMembers. The
listing is checked on member items planted in moto and at the end of a replay (cases the
scenarios do not reach: no profile, no email), and end to end on the cart recovery, whose member
items ProcessFunction writes as it assesses the contacts (docs/scoring.md, "Wiring")."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

import nurture_local.runtime.runner as runner
from nurture.adapters.dynamodb_profile_items import segment_member_item as member_item
from nurture.segments.definition import default_segments
from nurture_local.cli import DEMO_SCENARIO, main
from nurture_local.runtime.environment import LocalEnvironment
from nurture_local.segments import Member, SegmentListing, list_segments, render
from tests.conftest import TABLE_NAME
from tests.insights_items import profile_item

NOW = datetime(2026, 6, 30, 13, 0, tzinfo=UTC)


def test_the_listing_names_members_by_email_else_by_contact_id(dynamodb: Any, nurture_table: str) -> None:
    # Given three hot browsers (two with a profile holding an email, one whose profile has none)
    # and one engaged subscriber whose profile was erased
    for item in (
        profile_item("c1", email="zoe@example.com"),
        profile_item("c2", email="adam@example.com"),
        profile_item("c3"),
        *(member_item("hot_browsers", cid, NOW) for cid in ("c1", "c2", "c3")),
        member_item("engaged_subscribers", "gone", NOW),
    ):
        dynamodb.put_item(TableName=TABLE_NAME, Item=item)
    # When every shipped segment is listed
    listings = list_segments(dynamodb, TABLE_NAME, default_segments())
    # Then each appears in the catalogue's order with its size, members sorted by what names them
    by_id = {listing.id: listing for listing in listings}
    assert [listing.id for listing in listings] == list(default_segments())
    assert by_id["hot_browsers"] == SegmentListing(
        "hot_browsers",
        default_segments()["hot_browsers"].name,
        3,
        (Member("c2", "adam@example.com"), Member("c3", None), Member("c1", "zoe@example.com")),
    )
    assert [m.label for m in by_id["hot_browsers"].members] == ["adam@example.com", "c3", "zoe@example.com"]
    assert by_id["engaged_subscribers"].members == (Member("gone", None),)
    assert (by_id["cart_abandoners"].size, by_id["cart_abandoners"].members) == (0, ())
    # And the text puts a segment on a line and its members under it
    text = render(listings).splitlines()
    hot = text.index(next(line for line in text if line.startswith("hot_browsers ")))
    assert text[hot].split(None, 3) == ["hot_browsers", "3", "members", default_segments()["hot_browsers"].name]
    assert text[hot + 1 : hot + 4] == ["    adam@example.com", "    c3", "    zoe@example.com"]
    assert any(line.split(None, 3)[:3] == ["engaged_subscribers", "1", "member"] for line in text)
    assert len({line.index(" member") for line in text if not line.startswith(" ")}) == 1  # sizes aligned
    assert by_id["hot_browsers"].as_json()["members"][0] == {"contact_id": "c2", "email": "adam@example.com"}


@pytest.fixture
def small_scenario(tmp_path: Path) -> Path:
    """The demo's first three Shopify sign-ups."""
    lines = [line for line in DEMO_SCENARIO.read_text(encoding="utf-8").splitlines() if '"source":"shopify"' in line]
    path = tmp_path / "three.jsonl"
    path.write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def planted(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """At the end of every replay, before the command reads: the replay's first two contacts made
    members of cart_abandoners, as ProcessFunction will record them, and a contact id without a
    profile. Returns the contact ids planted."""
    original = runner.run_scenario
    planted_ids: list[str] = []

    def replay(*args: Any, at_end: Any = None, **kwargs: Any) -> Any:
        def plant_then_read(env: LocalEnvironment) -> None:
            dynamodb = boto3.client("dynamodb", region_name="us-east-1")
            table = env.resources[runner.TABLE]
            profiles = sorted(
                item["contact_id"]["S"]
                for page in dynamodb.get_paginator("scan").paginate(TableName=table)
                for item in page["Items"]
                if item["sk"]["S"] == "PROFILE"
            )
            planted_ids[:] = [*profiles[:2], "no-profile"]
            for contact_id in planted_ids:
                dynamodb.put_item(TableName=table, Item=member_item("cart_abandoners", contact_id, NOW))
            at_end(env)

        return original(*args, at_end=plant_then_read, **kwargs)

    monkeypatch.setattr(runner, "run_scenario", replay)
    return planted_ids


def test_the_command_lists_every_segment_after_the_replay(
    small_scenario: Path, planted: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["segments", str(small_scenario), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in document] == list(default_segments())
    (cart,) = [entry for entry in document if entry["id"] == "cart_abandoners"]
    assert cart["name"] == default_segments()["cart_abandoners"].name
    assert cart["size"] == 3
    # The two replayed contacts by their sign-up address, the third by its id
    emails = {member["contact_id"]: member["email"] for member in cart["members"]}
    assert set(emails) == set(planted)
    assert emails["no-profile"] is None
    assert all(emails[cid] and emails[cid].endswith("@example.com") for cid in planted[:2])
    assert all(entry["size"] == 0 and entry["members"] == [] for entry in document if entry is not cart)


def test_one_segment_as_text(small_scenario: Path, planted: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["segments", str(small_scenario), "--segment", "cart_abandoners"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split(None, 3) == ["cart_abandoners", "3", "members", default_segments()["cart_abandoners"].name]
    assert out[1:] == sorted(out[1:]) and len(out) == 4 and "    no-profile" in out


def test_bad_arguments_exit_2_naming_the_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["segments", "--segment", "shoe_browsers"]) == 2
    assert (
        "no segment 'shoe_browsers' (one of cart_abandoners, dormant_subscribers, engaged_subscribers"
        in capsys.readouterr().err
    )
    assert main(["segments", str(tmp_path / "missing.jsonl")]) == 2
    assert "missing.jsonl" in capsys.readouterr().err


def test_the_cart_recovery_fills_the_segments_processfunction_assesses(capsys: pytest.CaptureFixture[str]) -> None:
    # Given the cart recovery replayed (Alice and Carol abandon a checkout, Bob orders after his,
    # Carol clicks the reminder): ProcessFunction writes the member items as it applies the events
    scenario = Path(__file__).resolve().parents[2] / "events" / "cart-recovery.jsonl"
    assert main(["segments", str(scenario), "--json"]) == 0
    members = {entry["id"]: [m["email"] for m in entry["members"]] for entry in json.loads(capsys.readouterr().out)}
    # Then the abandoners are Alice and Carol (Bob's order took him out), and Carol, subscribed,
    # clicked: she is an engaged subscriber
    assert members == {
        "cart_abandoners": ["alice@example.com", "carol@example.com"],
        "dormant_subscribers": [],  # the replay spans days, not six months
        "engaged_subscribers": ["carol@example.com"],
        "hot_browsers": [],
        "premium_browsers": [],
    }
