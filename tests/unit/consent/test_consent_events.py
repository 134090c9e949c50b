"""The canonical consent.changed as Nurture's consent pages write it: by contact id, with proof."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from nurture.events import ChannelConsent, ConsentChanged, Contact, parse_event

AT = datetime(2026, 6, 1, tzinfo=UTC)
EMAIL = ChannelConsent(state="unsubscribed", changed_at=AT)


def _event(**fields: object) -> ConsentChanged:
    envelope = {"event_id": "e1", "source": "nurture", "store": "consent", "source_topic": "unsubscribe"}
    return ConsentChanged.model_validate({**envelope, "occurred_at": AT, **fields})


def test_a_change_by_contact_id_with_proof_round_trips() -> None:
    event = _event(contact_id="c1", email=EMAIL, proof={"method": "one_click", "ip": "192.0.2.1", "user_agent": "x"})

    assert parse_event(event.model_dump_json()) == event


def test_topics_and_pause_alone_are_a_change() -> None:
    event = _event(contact_id="c1", unsubscribed_topics=["offers"], paused_until=AT)

    assert event.unsubscribed_topics == ("offers",)


@pytest.mark.parametrize(
    "fields",
    [
        {"email": EMAIL},  # no contact at all
        {"contact_id": "c1", "contact": Contact(email="ada@example.com"), "email": EMAIL},  # both
        {"contact_id": "c1"},  # reports nothing
        {"contact_id": "c1", "unsubscribed_topics": ["gossip"]},  # unknown topic
        {"contact_id": "c1", "email": EMAIL, "proof": {"method": "telepathy"}},
    ],
)
def test_a_malformed_change_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        _event(**fields)
