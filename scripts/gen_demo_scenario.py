"""Write the bundled demo scenario (local/nurture_local/runtime/demo/scenario.jsonl).

A week of sign-ups at a small shop: Shopify and WooCommerce customers and our generic format, most
subscribed to email, a few not, two to text messages too, one Shopify delivery retried, one profile
update, one order. The file is committed; this script documents how it was made and regenerates it identically.

    python scripts/gen_demo_scenario.py [--check]
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

OUT = Path(__file__).resolve().parents[1] / "local" / "nurture_local" / "runtime" / "demo" / "scenario.jsonl"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday
FIRST = [
    "Ada",
    "Grace",
    "Alan",
    "Edsger",
    "Barbara",
    "Donald",
    "Frances",
    "Ken",
    "Margaret",
    "Dennis",
    "Radia",
    "Tim",
    "Katherine",
    "John",
    "Hedy",
    "Linus",
    "Sophie",
    "Guido",
    "Annie",
    "Niklaus",
    "Lynn",
    "Vint",
    "Jean",
    "Bjarne",
    "Carol",
    "Yukihiro",
    "Shafi",
    "Leslie",
    "Mary",
    "Robin",
]
LAST = [
    "Lovelace",
    "Hopper",
    "Turing",
    "Dijkstra",
    "Liskov",
    "Knuth",
    "Allen",
    "Thompson",
    "Hamilton",
    "Ritchie",
    "Perlman",
    "Berners-Lee",
    "Johnson",
    "Backus",
    "Lamarr",
    "Torvalds",
    "Wilson",
    "van Rossum",
    "Easley",
    "Wirth",
    "Conway",
    "Cerf",
    "Sammet",
    "Stroustrup",
    "Shaw",
    "Matsumoto",
    "Goldwasser",
    "Lamport",
    "Keller",
    "Milner",
]
CITIES = [
    ("Ottawa", "ON", "CA"),
    ("Lyon", None, "FR"),
    ("Austin", "TX", "US"),
    ("Leeds", None, "GB"),
    ("Porto", None, "PT"),
    ("Kyoto", None, "JP"),
]


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# Shopify customers who also ticked "text me offers" at checkout (Austin numbers: +1 512 555 01xx).
SMS_SUBSCRIBERS = (2, 14)


def shopify_customer(i: int, at: datetime, consent: str) -> dict[str, object]:
    first, last = FIRST[i], LAST[i]
    city, province, country = CITIES[i % len(CITIES)]
    texts = i in SMS_SUBSCRIBERS
    return {
        "id": 7000000000 + i,
        "created_at": iso(at),
        "updated_at": iso(at),
        "first_name": first,
        "last_name": last,
        "state": "enabled",
        "verified_email": True,
        "email": f"{first.lower()}.{last.lower().replace(' ', '')}@example.com",
        "phone": f"+1512555{100 + i:04d}" if texts else None,
        "currency": "EUR",
        "email_marketing_consent": {
            "state": consent,
            "opt_in_level": "single_opt_in",
            "consent_updated_at": iso(at) if consent == "subscribed" else None,
        },
        "sms_marketing_consent": (
            {
                "state": "subscribed",
                "opt_in_level": "single_opt_in",
                "consent_updated_at": iso(at),
                "consent_collected_from": "SHOPIFY",
            }
            if texts
            else None
        ),
        "addresses": [],
        "default_address": {"city": city, "province": province, "country_code": country, "default": True},
        "admin_graphql_api_id": f"gid://shopify/Customer/{7000000000 + i}",
    }


def woo_customer(i: int, at: datetime) -> dict[str, object]:
    first, last = FIRST[i], LAST[i]
    email = f"{first.lower()}.{last.lower().replace(' ', '')}@example.org"
    local = at.replace(tzinfo=None)
    return {
        "id": 400 + i,
        "date_created": local.isoformat(timespec="seconds"),
        "date_created_gmt": local.isoformat(timespec="seconds"),
        "date_modified": local.isoformat(timespec="seconds"),
        "date_modified_gmt": local.isoformat(timespec="seconds"),
        "email": email,
        "first_name": first,
        "last_name": last,
        "role": "customer",
        "username": email.split("@")[0],
        "billing": {
            "first_name": first,
            "last_name": last,
            "city": "Lisbon",
            "country": "PT",
            "email": email,
            "phone": "",
        },
        "shipping": {"first_name": first, "last_name": last, "city": "Lisbon", "country": "PT"},
        "is_paying_customer": False,
        "meta_data": [{"id": 900 + i, "key": "nurture_email_consent", "value": "subscribed"}],
    }


def lines() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    # Shopify sign-ups through the week: 22 subscribed, 4 who did not tick the box.
    for i in range(26):
        at = START + timedelta(hours=6 * i + (i % 3) * 17, minutes=7 * i)
        consent = "not_subscribed" if i % 7 == 3 else "subscribed"
        out.append(
            {
                "at": iso(at),
                "source": "shopify",
                "topic": "customers/create",
                "body": shopify_customer(i, at, consent),
                "delivery_id": f"shopify-delivery-{i}",
            }
        )
        if i == 5:  # Shopify did not hear our 202 in time and delivers the same webhook again
            out.append(
                {
                    "at": iso(at + timedelta(minutes=5)),
                    "source": "shopify",
                    "topic": "customers/create",
                    "body": shopify_customer(i, at, consent),
                    "delivery_id": f"shopify-delivery-{i}",
                }
            )
        if i == 8:  # the customer edits their profile an hour later: no second welcome
            later = at + timedelta(hours=1)
            updated = shopify_customer(i, at, consent)
            updated["updated_at"] = iso(later)
            updated["last_name"] = "Hamilton-Smith"
            out.append(
                {
                    "at": iso(later),
                    "source": "shopify",
                    "topic": "customers/update",
                    "body": updated,
                    "delivery_id": f"shopify-delivery-{i}-update",
                }
            )
    # WooCommerce sign-ups (consent recorded by the shop's opt-in plugin in meta_data).
    for j, i in enumerate(range(26, 29)):
        at = START + timedelta(days=1 + 2 * j, hours=3)
        out.append(
            {
                "at": iso(at),
                "source": "woocommerce",
                "topic": "customer.created",
                "body": woo_customer(i, at),
                "delivery_id": f"woo-delivery-{i}",
            }
        )
    # A custom storefront posting our generic format.
    at = START + timedelta(days=5, hours=10)
    out.append(
        {
            "at": iso(at),
            "source": "generic",
            "topic": "consent.changed",
            "body": {
                "type": "consent.changed",
                "occurred_at": iso(at),
                "contact": {
                    "email": "robin.milner@example.net",
                    "first_name": "Robin",
                    "last_name": "Milner",
                    "locale": "en-GB",
                    "time_zone": "Europe/London",
                },
                "consent": {"email": {"state": "subscribed", "opt_in_level": "confirmed_opt_in"}},
            },
            "delivery_id": "generic-delivery-1",
        }
    )
    out.sort(key=lambda line: str(line["at"]))
    return out


def render() -> str:
    header = "# Nurture demo: a week of sign-ups (generated by scripts/gen_demo_scenario.py)\n"
    return header + "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines())


def main() -> int:
    text = render()
    if "--check" in sys.argv:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(Path.cwd()) if OUT.is_relative_to(Path.cwd()) else OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
