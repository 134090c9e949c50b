"""`nurture journeys`: figures measured on the local executor, `build` / `build --check`, `schema`, and a
bad definition reported as a usage error (exit 2). Commands that write run in a copy of the project."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from nurture.journeys.catalogue import load_catalogue
from nurture.journeys.definition import BranchStep, Journey, SendStep, walk_steps
from nurture_local.cli import main
from nurture_local.journeys import CATALOGUE, run_main_path

ROOT = Path(__file__).resolve().parents[2]
KEYS = [
    "id",
    "trigger",
    "key",
    "states",
    "transitions_main_path",
    "messages_main_path",
    "transitions_per_message",
    "cost_per_1000_contacts_usd",
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Just enough of the checkout for `nurture journeys` to find and write to."""
    shutil.copy(ROOT / "template.yaml", tmp_path / "template.yaml")
    (tmp_path / "functions").mkdir()
    (tmp_path / "docs").mkdir()
    shutil.copytree(ROOT / CATALOGUE, tmp_path / CATALOGUE)
    shutil.copytree(ROOT / "statemachines", tmp_path / "statemachines")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def sends_messages(journey: Journey) -> bool:
    return any(isinstance(step, SendStep) for step in walk_steps(journey.steps))


MESSAGING_JOURNEYS = sorted(
    journey.id for journey in load_catalogue(ROOT / CATALOGUE).values() if sends_messages(journey)
)


@pytest.mark.parametrize("journey_id", MESSAGING_JOURNEYS)
def test_each_main_path_costs_at_most_two_transitions_per_message(journey_id: str) -> None:
    path = run_main_path(load_catalogue(ROOT / CATALOGUE)[journey_id])

    assert path.status == "SUCCEEDED"
    assert path.messages >= 1
    assert path.transitions <= 2 * path.messages, path.states_entered


def test_no_shipped_journey_branches_a_send_has_variants_instead() -> None:
    # A branch costs its Task and its Choice; a send's variants choose the message at no transition.
    catalogue = load_catalogue(ROOT / CATALOGUE)
    branching = [
        journey.id
        for journey in catalogue.values()
        if any(isinstance(step, BranchStep) for step in walk_steps(journey.steps))
    ]
    assert branching == []
    with_variants = sorted(
        journey.id
        for journey in catalogue.values()
        if any(isinstance(step, SendStep) and step.send.variants for step in walk_steps(journey.steps))
    )
    assert with_variants == ["acquisition_nurture", "loyalty_nurture", "welcome", "win_back"]


def test_the_acquisition_main_path_is_four_rounds_of_a_wait_then_a_send() -> None:
    path = run_main_path(load_catalogue(ROOT / CATALOGUE)["acquisition_nurture"])

    lessons = ("how it works", "how to choose", "what others buy", "what is new")
    rounds = [f"Round {n}: lesson {n} ({topic}) or the offer" for n, topic in enumerate(lessons, start=1)]
    assert path.states_entered == [
        "Wait 5 days",
        rounds[0],
        "Wait 4 days",
        rounds[1],
        "Wait 4 days (2)",
        rounds[2],
        "Wait 7 days",
        rounds[3],
    ]
    assert (path.transitions, path.task_invocations, path.messages) == (8, 4, 4)


@pytest.mark.parametrize(
    ("journey_id", "states"),
    [
        # The first wait is planned by the router (an `at` / `until`): the machine starts on it.
        ("birthday", ["Wait until the birthday, 09:00", "Send the birthday greeting"]),
        ("geo_invite", ["Wait until 11:00", "Send the local invitation"]),
        ("replenishment", ["Wait until it runs low", "Send the reorder reminder"]),
        # The re-permission and its 14 days are one state (a fused send and click wait).
        (
            "sunset",
            ["Send the re-permission email and wait up to 14 days for a click", "Unsubscribe from marketing email"],
        ),
    ],
)
def test_the_one_message_journeys_cost_two_transitions(journey_id: str, states: list[str]) -> None:
    path = run_main_path(load_catalogue(ROOT / CATALOGUE)[journey_id])

    assert path.states_entered == states
    assert (path.transitions, path.messages) == (2, 1)


def test_the_sales_handoff_sends_nothing_and_costs_one_task() -> None:
    journey = load_catalogue(ROOT / CATALOGUE)["sales_handoff"]
    path = run_main_path(journey)

    assert not sends_messages(journey)
    assert path.status == "SUCCEEDED"
    assert path.states_entered == ["Add to list sales_ready"]
    assert (path.transitions, path.task_invocations, path.messages) == (1, 1, 0)


def test_the_welcome_main_path_is_send_wait_send_wait_send() -> None:
    path = run_main_path(load_catalogue(ROOT / CATALOGUE)["welcome"])

    assert path.states_entered == [
        "Send welcome email",
        "Wait 2 days",
        "Send content email",
        "Wait 14 days",
        "Send feedback request",
    ]
    assert (path.transitions, path.task_invocations, path.messages) == (5, 3, 3)


def test_json_lists_one_object_per_journey_with_exactly_the_documented_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journeys", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)

    assert [row["id"] for row in rows] == sorted(load_catalogue(ROOT / CATALOGUE))
    assert all(list(row) == KEYS for row in rows)
    welcome = next(row for row in rows if row["id"] == "welcome")
    assert welcome["trigger"] == ["consent.changed"]
    assert welcome["key"] == "contact"
    assert (welcome["transitions_main_path"], welcome["messages_main_path"]) == (5, 3)
    assert welcome["transitions_per_message"] == pytest.approx(5 / 3, abs=0.01)
    # 5 transitions, 3 invocations of 150 ms at 512 MB, 3 emails; for 1,000 contacts.
    expected = 1000 * (5 * 0.025 / 1000 + 3 * (0.20 / 1e6 + 0.5 * 0.150 * 0.0000133334) + 3 * 0.10 / 1000)
    assert welcome["cost_per_1000_contacts_usd"] == pytest.approx(expected, abs=0.0001)
    checkout = next(row for row in rows if row["id"] == "abandoned_checkout")
    assert checkout["trigger"] == ["checkout.started", "checkout.updated"]
    assert checkout["key"] == "event.checkout.token"


def test_the_table_has_a_row_per_journey(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["journeys"]) == 0
    lines = capsys.readouterr().out.splitlines()

    assert lines[0].split()[:3] == ["id", "trigger", "key"]
    assert sorted(line.split()[0] for line in lines[1:]) == sorted(load_catalogue(ROOT / CATALOGUE))


def test_build_check_names_each_file_that_differs_and_build_fixes_it(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["journeys", "build", "--check"]) == 0

    welcome = project / "statemachines" / "welcome.asl.json"
    welcome.write_text(welcome.read_text().replace("Wait 2 days", "Wait two days"))
    (project / "statemachines" / "win_back.asl.json").unlink()
    capsys.readouterr()
    assert main(["journeys", "build", "--check"]) == 1
    err = capsys.readouterr().err
    assert "statemachines/welcome.asl.json" in err
    assert "statemachines/win_back.asl.json" in err
    assert "abandoned_checkout" not in err
    assert "Wait two days" in welcome.read_text()  # --check writes nothing

    assert main(["journeys", "build"]) == 0
    assert main(["journeys", "build", "--check"]) == 0
    assert (project / "statemachines" / "welcome.asl.json").read_text() == (
        ROOT / "statemachines" / "welcome.asl.json"
    ).read_text()


def test_build_leaves_other_files_alone(project: Path) -> None:
    other = project / "statemachines" / "retired.asl.json"
    other.write_text("{}\n")
    assert main(["journeys", "build"]) == 0
    assert other.read_text() == "{}\n"


def test_a_bad_definition_is_reported_with_exit_2(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / CATALOGUE / "broken.yaml").write_text("id: broken\nname: Broken\ntrigger: {event: nope}\nsteps: []\n")

    for command in (["journeys"], ["journeys", "build"], ["journeys", "build", "--check"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith("nurture: broken.yaml: ")
        assert "trigger" in err


def test_schema_writes_the_committed_schema(project: Path) -> None:
    assert main(["journeys", "schema"]) == 0
    assert (project / "docs" / "journey.schema.json").read_text() == (ROOT / "docs" / "journey.schema.json").read_text()
