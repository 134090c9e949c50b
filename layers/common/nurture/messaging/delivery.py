"""Who a message goes to, and the reasons the delivery rules give (`nurture.delivery.rules.decide`).

`Recipient` is the sender's narrow view of a contact profile: only what addressing, personalising
and the delivery rules need. The profile adapters map their items into it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

# Reasons a send is skipped; the journeys branch on some of them (see statemachines/).
NO_CONTACT: Final = "no_contact"
NO_EMAIL_ADDRESS: Final = "no_email_address"
NO_CONSENT: Final = "no_consent"
ALREADY_SENT: Final = "already_sent"
ALREADY_CLAIMED: Final = "already_claimed"
# The delivery rules' reasons (`nurture.delivery.rules.decide`).
INVALID_EMAIL_ADDRESS: Final = "invalid_email_address"
NO_PHONE_NUMBER: Final = "no_phone_number"
INVALID_PHONE_NUMBER: Final = "invalid_phone_number"
SUPPRESSED: Final = "suppressed"  # a permanent bounce, a complaint, or too many transient bounces
TOPIC_UNSUBSCRIBED: Final = "topic_unsubscribed"
PAUSED: Final = "paused"  # a deferral: the contact paused marketing email (preferences page)
FREQUENCY_CAP: Final = "frequency_cap"
QUIET_HOURS: Final = "quiet_hours"
SEND_HOUR: Final = "send_hour"
# Not a skip: the provider was called and never answered (status "unknown"); the journey goes on.
OUTCOME_UNKNOWN: Final = "outcome_unknown"


@dataclass(frozen=True, slots=True)
class Recipient:
    contact_id: str
    email: str | None
    email_consent: str | None  # nurture.events.ConsentState, None when never reported
    first_name: str | None = None
    last_name: str | None = None
    locale: str | None = None
    store: str | None = None  # the store the contact signed up at (e.g. "acme.myshopify.com")
    time_zone: str | None = None  # the profile's IANA zone, when known
    country_code: str | None = None  # the profile's location.country_code: a zone when time_zone is unknown
    unsubscribed_topics: frozenset[str] = frozenset()  # topics the contact opted out of (newsletter, offers…)
    paused_until: datetime | None = None  # no marketing email before then (preferences page)
    phone: str | None = None  # E.164, normalised at capture
    sms_consent: str | None = None  # the SMS consent state, None when never reported

    def __repr__(self) -> str:  # never print the address in clear (logs, tracebacks, test output)
        return f"Recipient(contact_id={self.contact_id!r}, email_consent={self.email_consent!r})"
