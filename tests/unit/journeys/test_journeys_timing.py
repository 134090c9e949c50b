"""next_wake_up: durations, local times of day in the contact's zone (DST included), dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from nurture.journeys.timing import next_wake_up, rfc3339

NOW = datetime(2026, 3, 27, 15, 0, tzinfo=UTC)  # a Friday, two days before Europe's spring change


def test_a_plain_duration_is_added() -> None:
    assert next_wake_up(NOW, seconds=3600) == datetime(2026, 3, 27, 16, 0, tzinfo=UTC)
    assert next_wake_up(NOW) == NOW


def test_at_rounds_up_to_the_next_local_time_after_the_duration() -> None:
    # 2 days after Friday 16:00 Paris (CET) is Sunday 16:00 CEST: the next 10:00 is Monday 10:00 CEST
    wake = next_wake_up(NOW, seconds=2 * 86400, at=time(10, 0), time_zone="Europe/Paris")
    assert wake == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)


def test_at_across_the_spring_change_keeps_the_wall_clock_time() -> None:
    # Saturday 10:00 CET is 09:00 UTC; Sunday 10:00 CEST is 08:00 UTC
    assert next_wake_up(NOW, seconds=3600, at=time(10, 0), time_zone="Europe/Paris") == datetime(
        2026, 3, 28, 9, 0, tzinfo=UTC
    )
    saturday_noon = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    assert next_wake_up(saturday_noon, at=time(10, 0), time_zone="Europe/Paris") == datetime(
        2026, 3, 29, 8, 0, tzinfo=UTC
    )


def test_a_time_that_does_not_exist_on_the_change_day_is_shifted_past_it() -> None:
    saturday_noon = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    # 02:30 does not exist in Paris on 29 March 2026: 03:30 CEST (01:30 UTC)
    assert next_wake_up(saturday_noon, at=time(2, 30), time_zone="Europe/Paris") == datetime(
        2026, 3, 29, 1, 30, tzinfo=UTC
    )


def test_a_time_that_happens_twice_in_autumn_is_the_first() -> None:
    saturday = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
    # 02:30 happens twice in Paris on 25 October 2026... but 31 October is after it: New York's is 1 November
    wake = next_wake_up(saturday, at=time(1, 30), time_zone="America/New_York")
    assert wake == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT, the first of the two


@pytest.mark.parametrize("zone", [None, "", "Not/AZone"])
def test_an_unknown_zone_is_utc(zone: str | None) -> None:
    assert next_wake_up(NOW, at=time(9, 0), time_zone=zone) == datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


def test_zones_east_and_west() -> None:
    assert next_wake_up(NOW, at=time(10, 0), time_zone="Asia/Tokyo") == datetime(2026, 3, 28, 1, 0, tzinfo=UTC)
    assert next_wake_up(NOW, at=time(10, 0), time_zone="America/Los_Angeles") == datetime(
        2026, 3, 27, 17, 0, tzinfo=UTC
    )


def test_until_a_date_is_that_day_or_its_next_anniversary() -> None:
    assert next_wake_up(NOW, until=date(2026, 4, 2), at=time(9, 0), time_zone="Europe/Paris") == datetime(
        2026, 4, 2, 7, 0, tzinfo=UTC
    )
    # a birthday: the next one
    assert next_wake_up(NOW, until=date(1990, 1, 15)) == datetime(2027, 1, 15, tzinfo=UTC)
    assert next_wake_up(NOW, until=date(1992, 2, 29)) == datetime(2027, 2, 28, tzinfo=UTC)


def test_until_an_instant_never_goes_back() -> None:
    later = datetime(2026, 4, 1, tzinfo=UTC)
    assert next_wake_up(NOW, until=later) == later
    assert next_wake_up(NOW, until=datetime(2020, 1, 1, tzinfo=UTC)) == NOW


def test_the_wake_up_is_written_for_timestamp_path() -> None:
    assert rfc3339(datetime(2026, 3, 29, 8, 0, 0, 123456, tzinfo=UTC)) == "2026-03-29T08:00:00Z"
    with pytest.raises(ValueError, match="timezone-aware"):
        next_wake_up(datetime(2026, 1, 1).replace(tzinfo=None))  # noqa: DTZ001
