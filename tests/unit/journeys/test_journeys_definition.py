"""Journey definitions: the shipped catalogue loads, and a bad definition is refused with an error
that names the file, the field and why."""

from __future__ import annotations

import itertools
from datetime import timedelta
from pathlib import Path

import pytest

from nurture.journeys.catalogue import CATALOGUE_DIR, load_catalogue
from nurture.journeys.definition import (
    JourneyDefinitionError,
    SendStep,
    journey_json_schema,
    load_journey,
    parse_duration,
    step_id_of,
    walk_steps,
)

MINIMAL = """
id: demo
name: Demo
trigger:
  event: consent.changed
steps:
  - send: {id: hello}
"""


def test_the_shipped_catalogue_loads_with_its_seventeen_journeys() -> None:
    catalogue = load_catalogue()
    assert sorted(catalogue) == [
        "abandoned_checkout",
        "acquisition_nurture",
        "birthday",
        "browse_abandonment",
        "browse_nudge",
        "cross_sell",
        "double_opt_in",
        "first_purchase",
        "geo_invite",
        "loyalty_nurture",
        "replenishment",
        "sales_handoff",
        "sms_welcome",
        "sunset",
        "vip",
        "welcome",
        "win_back",
    ]
    assert catalogue["abandoned_checkout"].key == "event.checkout.token"
    assert [j.id for j in catalogue.triggered_by("checkout.updated")] == ["abandoned_checkout"]
    assert [j.id for j in catalogue.triggered_by("contact.lapsed")] == ["win_back"]
    assert [j.id for j in catalogue.triggered_by("score.crossed")] == ["sales_handoff"]
    assert [j.id for j in catalogue.triggered_by("segment.entered")] == ["browse_nudge", "sunset"]
    assert sorted(j.id for j in catalogue.triggered_by("order.paid")) == [
        "cross_sell",
        "geo_invite",
        "loyalty_nurture",
        "replenishment",
        "vip",
    ]
    assert [j.id for j in catalogue.triggered_by("order.fulfilled")] == ["first_purchase"]
    assert [j.id for j in catalogue.triggered_by("contact.birthday")] == ["birthday"]
    assert [j.id for j in catalogue.triggered_by("product.browsed")] == ["browse_abandonment"]


def test_every_shipped_send_step_has_its_templates() -> None:
    templates = CATALOGUE_DIR.parent / "templates"
    for journey in load_catalogue().values():
        for step in walk_steps(journey.steps):
            if isinstance(step, SendStep):
                template = step.send.template or f"{journey.id}/{step.send.id}"
                # A variant renders its own template set (default: the step's).
                template_sets = {template, *(variant.template or template for variant in step.send.variants)}
                channels = {"email": ["email"], "sms": ["sms"], "email_or_sms": ["email", "sms"]}[step.send.channel]
                for channel in channels:
                    parts = ("body.txt",) if channel == "sms" else ("subject.txt", "body.txt", "body.html")
                    for template_set, part in itertools.product(sorted(template_sets), parts):
                        path = templates / channel / template_set / part
                        assert path.is_file(), f"{journey.id}: {channel}/{template_set}/{part} is missing"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", timedelta(minutes=90)),
        ("1h", timedelta(hours=1)),
        ("2d", timedelta(days=2)),
        ("1w 2d", timedelta(days=9)),
    ],
)
def test_durations_read_as_people_write_them(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "2", "2 days", "0m", "30s", "400d", "P2D"])
def test_a_duration_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"duration|between"):
        parse_duration(text)


def test_a_minimal_definition_defaults_to_one_enrolment_per_contact_never_again() -> None:
    journey = load_journey(MINIMAL, source="demo.yaml")
    assert (journey.key, journey.reentry, journey.marketing) == ("contact", "never", True)


def test_a_journey_that_only_files_the_contact_on_a_list_is_valid() -> None:
    # sales_handoff's shape: no message, one update step
    journey = load_journey(
        MINIMAL.replace("send: {id: hello}", "update: {id: file, add_to_list: leads}"), source="demo.yaml"
    )
    assert [step_id_of(step) for step in walk_steps(journey.steps)] == ["file"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("event: consent.changed", "event: consent.change"), "trigger.event"),
        (("id: demo", "id: Demo-1"), "id: String should match pattern"),
        (("  - send: {id: hello}", "  - send: {id: hello}\n  - send: {id: hello}"), "step id 'hello' is used twice"),
        (("  - send: {id: hello}", "  - wait: {duration: 2d}"), "at least one send or update step"),
        (("  - send: {id: hello}", "  - send: {id: hello}\n  - wait: {}"), "a wait needs a duration"),
        (
            (
                "  - send: {id: hello}",
                "  - send: {id: hello}\n  - wait: {duration: 1h}\n"
                "  - wait_for: {id: w, event: email.clicked, timeout: 1d}",
            ),
            "must come right after a send step",
        ),
        (
            (
                "  - send: {id: hello}",
                "  - send: {id: hello, channel: sms}\n  - wait_for: {id: w, event: email.clicked, timeout: 1d}",
            ),
            "wait_for 'w': email.clicked follows send 'hello', an SMS: SMS has no delivery, open or click events",
        ),
        (("  - send: {id: hello}", "  - send: {id: hello, channel: fax}"), "channel: Input should be"),
        (("steps:", "colour: blue\nsteps:"), "colour: Extra inputs are not permitted"),
        (("steps:", "sender: deals at acme\nsteps:"), "sender: Value error, must be one email address"),
        (("steps:", "sender: 'a@acme.example, b@acme.example'\nsteps:"), "sender: Value error"),
        (("steps:", 'sender: "Deals <deals@acme.example>\\r\\nBcc: x@evil.example"\nsteps:'), "sender: Value error"),
    ],
)
def test_a_bad_definition_names_the_file_and_the_field(change: tuple[str, str], message: str) -> None:
    text = MINIMAL.replace(*change)
    with pytest.raises(JourneyDefinitionError, match=r"^demo\.yaml: ") as raised:
        load_journey(text, source="demo.yaml")
    assert message in str(raised.value)


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("deals@acme.example", "deals@acme.example"),
        ("Acme Deals <deals@acme.example>", "Acme Deals <deals@acme.example>"),
        ("'  Acme Deals   <deals@acme.example> '", "Acme Deals <deals@acme.example>"),
    ],
)
def test_a_journey_may_name_its_own_sender(written: str, kept: str) -> None:
    journey = load_journey(MINIMAL.replace("steps:", f"sender: {written}\nsteps:"), source="demo.yaml")
    assert journey.sender == kept
    assert load_journey(MINIMAL, source="demo.yaml").sender is None  # the deployment's SenderAddress


@pytest.mark.parametrize("channel", ["email", "email_or_sms"])
def test_an_engagement_wait_may_follow_an_email_or_an_email_or_sms_send(channel: str) -> None:
    # An email_or_sms send that went by SMS simply waits until the timeout (docs/sms.md).
    text = MINIMAL.replace(
        "  - send: {id: hello}",
        f"  - send: {{id: hello, channel: {channel}}}\n  - wait_for: {{id: w, event: email.opened, timeout: 1d}}",
    )
    journey = load_journey(text, source="demo.yaml")
    (send, _wait) = journey.steps
    assert isinstance(send, SendStep) and send.send.channel == channel


def test_an_sms_step_may_be_followed_by_a_plain_wait_and_a_named_event() -> None:
    text = MINIMAL.replace(
        "  - send: {id: hello}",
        "  - send: {id: hello, channel: sms}\n  - wait_for: {id: w, event: order.placed, timeout: 1d}",
    )
    assert load_journey(text, source="demo.yaml").steps[0].send.channel == "sms"  # type: ignore[union-attr]


def test_a_file_whose_id_is_not_its_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other.yaml").write_text(MINIMAL)
    with pytest.raises(JourneyDefinitionError, match=r"other\.yaml: id 'demo' must match the file name 'other'"):
        load_catalogue(tmp_path)


def test_yaml_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(JourneyDefinitionError, match="a journey definition is a mapping"):
        load_journey("- just\n- a list\n", source="x.yaml")


def test_the_catalogue_parses_the_same_with_libyaml_as_with_the_pure_python_parser() -> None:
    import yaml

    assert yaml.__with_libyaml__  # PyYAML's wheels bundle it: the catalogue is parsed in C at cold start
    for path in sorted(CATALOGUE_DIR.glob("*.yaml")):
        text = path.read_text(encoding="utf-8")
        assert yaml.load(text, Loader=yaml.CSafeLoader) == yaml.safe_load(text), path.name


def test_invalid_yaml_is_reported_with_the_pure_python_parsers_message_quoting_the_line() -> None:
    with pytest.raises(
        JourneyDefinitionError, match=r"(?s)demo\.yaml: not valid YAML: .*line 1, column 8:.*\^"
    ) as raised:
        load_journey("steps: [1, 2\n", source="demo.yaml")
    assert "expected ',' or ']', but got '<stream end>'" in str(raised.value)


def test_split_percentages_must_add_up_to_100() -> None:
    text = (
        MINIMAL
        + "  - split:\n      id: ab\n      arms:\n"
        + "        - {percent: 50, label: a}\n        - {percent: 40, label: b}\n"
    )
    with pytest.raises(JourneyDefinitionError, match="add up to 100"):
        load_journey(text, source="demo.yaml")


def test_the_json_schema_describes_the_steps_for_editors() -> None:
    schema = journey_json_schema()
    assert schema["title"] == "Nurture journey definition"
    assert {"id", "name", "trigger", "steps"} <= set(schema["required"])
    assert "SendSpec" in schema["$defs"] and "WaitForSpec" in schema["$defs"]
