"""Profile items with the index attributes docs/scoring.md ("Wiring") lists, put directly by tests
of their readers (member items: `dynamodb_profile_items.segment_member_item`); and a record of the
DynamoDB calls a client makes."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from nurture.adapters.dynamodb_profile_items import iso, profile_key, shard_of


def profile_item(
    contact_id: str,
    *,
    acquisition: Decimal | str | None = None,
    loyalty: Decimal | str | None = None,
    clv: Decimal | str | None = None,
    due_at: datetime | None = None,
    email: str | None = None,
) -> dict[str, Any]:
    """A profile with the contract's index attributes (an absent one: not in that index)."""
    item: dict[str, Any] = {
        **profile_key(contact_id),
        "item_type": {"S": "profile"},
        "contact_id": {"S": contact_id},
        "shard": {"S": shard_of(contact_id)},
    }
    for name, value in (("acquisition_score", acquisition), ("loyalty_score", loyalty), ("clv", clv)):
        if value is not None:
            item[name] = {"N": str(value)}
    if due_at is not None:
        item["due_at"] = {"S": iso(due_at)}
    if email is not None:
        item["email"] = {"S": email}
    return item


@contextmanager
def recorded_calls(client: Any) -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Every API call ``client`` makes meanwhile: (operation, parameters), in order."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(model: Any, params: dict[str, Any], **_: Any) -> None:
        calls.append((model.name, dict(params)))

    # Before the parameters are built: the API's own names (IndexName, KeyConditionExpression...).
    event, handler_id = "before-parameter-build.dynamodb", "nurture-tests-recorded-calls"
    client.meta.events.register(event, record, unique_id=handler_id)
    try:
        yield calls
    finally:
        client.meta.events.unregister(event, unique_id=handler_id)
