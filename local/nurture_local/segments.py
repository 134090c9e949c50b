"""`nurture segments`: each shipped segment's size and members, read from a table the way the stack
reads them (docs/scoring.md, "Segments"): `nurture.adapters.dynamodb_insights.SegmentMembers` (16
Queries of the segment's member partitions), the members named by their
profile's email when it has one (a BatchGetItem of the profiles), else by contact id. No scan."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from nurture.adapters.dynamodb_insights import SegmentMembers
from nurture.adapters.dynamodb_profile_items import profile_key
from nurture.segments.definition import Segment

_BATCH_GET = 100  # BatchGetItem's limit


@dataclass(frozen=True)
class Member:
    contact_id: str
    email: str | None

    @property
    def label(self) -> str:
        return self.email or self.contact_id


@dataclass(frozen=True)
class SegmentListing:
    id: str
    name: str
    size: int
    members: tuple[Member, ...]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "size": self.size,
            "members": [{"contact_id": m.contact_id, "email": m.email} for m in self.members],
        }


def list_segments(dynamodb: Any, table: str, segments: Mapping[str, Segment]) -> list[SegmentListing]:
    """Every segment of ``segments`` (in their order) with its size and members, members sorted by
    their label (email or contact id)."""
    reader = SegmentMembers(table, dynamodb)
    listings = []
    for segment in segments.values():
        ids = reader.members(segment.id)
        emails = profile_emails(dynamodb, table, ids)
        members = sorted((Member(cid, emails.get(cid)) for cid in ids), key=lambda m: (m.label, m.contact_id))
        # Every member is read anyway: their count is the size (SegmentMembers.size counts without listing).
        listings.append(SegmentListing(segment.id, segment.name, len(ids), tuple(members)))
    return listings


def profile_emails(dynamodb: Any, table: str, contact_ids: Sequence[str]) -> dict[str, str]:
    """contact id -> email, for the profiles that have one (an erased contact has no profile)."""
    emails: dict[str, str] = {}
    for start in range(0, len(contact_ids), _BATCH_GET):
        request: dict[str, Any] = {
            table: {
                "Keys": [profile_key(cid) for cid in contact_ids[start : start + _BATCH_GET]],
                "ProjectionExpression": "contact_id, email",
            }
        }
        while request:
            answer = dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                if "email" in item:
                    emails[item["contact_id"]["S"]] = item["email"]["S"]
            request = answer.get("UnprocessedKeys") or {}
    return emails


def render(listings: Sequence[SegmentListing]) -> str:
    """One block per segment: id, size and name, then a member a line."""
    lines: list[str] = []
    width = max((len(listing.id) for listing in listings), default=0)
    for listing in listings:
        noun = "member" if listing.size == 1 else "members"
        lines.append(f"{listing.id.ljust(width)}  {listing.size:>6} {noun:<7}  {listing.name}")
        lines.extend(f"    {member.label}" for member in listing.members)
    return "\n".join(lines)
