"""Write the bundled demo scenario (local/nurture_local/runtime/demo/scenario.jsonl).

A week of sign-ups at a small shop (March 2026): Shopify and WooCommerce customers and our generic
format, most subscribed to email, a few not, two to text messages too, one Shopify delivery retried,
one profile update. Before it, from August 2025, the stories that make every journey of the library
act at least once (`library_stories`, generic webhooks: docs/webhooks.md): customers who order,
reorder, lapse, become VIP, stop reading; a birthday by email and one by SMS; browsing, a cart left
behind, a double opt-in, a lead who turns sales-ready, a shopper near the store. The code pools are
imported by the scenario itself; the demo's products, places and pools are in demo/config/. The file
is committed; this script documents how it was made and regenerates it identically.

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
    out.extend(library_stories())
    out.sort(key=lambda line: str(line["at"]))
    return out


STORE_AREA = {"country_code": "CA", "city": "Ottawa", "latitude": 45.4231, "longitude": -75.6931}
PRODUCTS = {
    "coffee-beans": ("House coffee beans, 1 kg", "18.00", "coffee"),
    "grinder": ("Burr grinder", "89.00", "equipment"),
    "filter-papers": ("Filter papers (100)", "6.00", "coffee"),
    "kettle": ("Gooseneck kettle", "59.00", "equipment"),
    "mug": ("Stoneware mug", "14.00", "tableware"),
    "espresso-cups": ("Espresso cups (2)", "22.00", "tableware"),
}
POOLS = {  # codes the merchant uploaded: the welcome pool runs out during the sign-up week
    "welcome": 12,
    "cart_recovery": 5,
    "birthday": 5,
    "vip": 3,
    "win_back": 5,
    "win_back_repeat": 5,
    "win_back_vip": 1,
    "loyalty_reward": 3,
}


def generic(at: datetime, kind: str, contact: dict[str, object], delivery: str, **body: object) -> dict[str, object]:
    return {
        "at": iso(at),
        "source": "generic",
        "topic": kind,
        "body": {"type": kind, "occurred_at": iso(at), "contact": contact, **body},
        "delivery_id": delivery,
    }


def person(first: str, last: str, **more: object) -> dict[str, object]:
    return {
        "email": f"{first.lower()}.{last.lower()}@example.net",
        "first_name": first,
        "last_name": last,
        "time_zone": "America/Toronto",
        **more,
    }


def subscribed(at: datetime, contact: dict[str, object], delivery: str, sms: bool = False) -> dict[str, object]:
    consent: dict[str, object] = {"email": {"state": "subscribed", "opt_in_level": "confirmed_opt_in"}}
    if sms:
        consent["sms"] = {"state": "subscribed"}
    return generic(at, "consent.changed", contact, delivery, consent=consent)


def line_item(product: str, quantity: int = 1) -> dict[str, object]:
    title, price, category = PRODUCTS[product]
    return {"product_id": product, "title": title, "quantity": quantity, "unit_price": price, "categories": [category]}


def order(at: datetime, contact: dict[str, object], order_id: str, items: list[tuple[str, int]]) -> dict[str, object]:
    lines = [line_item(product, quantity) for product, quantity in items]
    total = sum(float(PRODUCTS[product][1]) * quantity for product, quantity in items)
    body = {"order_id": order_id, "currency": "CAD", "total": f"{total:.2f}", "line_items": lines}
    return generic(at, "order.placed", contact, f"order-{order_id}", order=body)


def viewed(at: datetime, contact: dict[str, object], product: str, delivery: str) -> dict[str, object]:
    title, price, category = PRODUCTS[product]
    body = {
        "product_id": product,
        "title": title,
        "url": f"https://shop.nurture-demo.example/products/{product}",
        "unit_price": price,
        "currency": "CAD",
        "categories": [category],
    }
    return generic(at, "product.viewed", contact, delivery, product=body)


def click(at: datetime, to: object) -> dict[str, object]:
    return {"at": iso(at), "action": "click", "to": to}


def library_stories() -> list[dict[str, object]]:
    """Every journey of the library acts at least once (docs/journeys.md says what each does)."""
    day = datetime(2025, 8, 18, 14, 0, tzinfo=UTC)
    out: list[dict[str, object]] = [
        {"at": iso(day - timedelta(hours=1)), "action": "import_codes", "pool": pool, "codes": codes(pool, count)}
        for pool, count in POOLS.items()
    ]
    # Pat browses the catalogue without subscribing: the product pages' titles and links become
    # known (recommendations show only products with both).
    pat = {"email": "pat.window@example.net", "first_name": "Pat", "time_zone": "America/Toronto"}
    for n, product in enumerate(PRODUCTS):
        out.append(viewed(day - timedelta(hours=2, minutes=-n), pat, product, f"pat-v{n}"))
    # Dora subscribes and never opens a thing: 180 days later she is dormant (sunset: one
    # re-permission email, no click in 14 days, unsubscribed).
    dora = person("Dora", "Quiet")
    out.append(subscribed(day, dora, "dora-sub"))
    # Grace lives near the store (geo_invite), orders coffee (first_purchase after fulfilment,
    # replenishment before the beans run out), reorders with the beans' complement missing
    # (cross_sell) and keeps reading (clicks).
    grace = person("Grace", "Brewer", location=STORE_AREA)
    start = datetime(2025, 9, 1, 15, 0, tzinfo=UTC)
    out.append(subscribed(start, grace, "grace-sub"))
    out.append(order(start + timedelta(days=2), grace, "G-1001", [("coffee-beans", 1), ("mug", 1)]))
    out.append(
        generic(
            start + timedelta(days=4),
            "order.fulfilled",
            grace,
            "grace-fulfilled",
            order={
                "order_id": "G-1001",
                "currency": "CAD",
                "total": "32.00",
                "line_items": [line_item("coffee-beans"), line_item("mug")],
            },
        )
    )
    out.append(order(start + timedelta(days=40), grace, "G-1002", [("coffee-beans", 1), ("filter-papers", 1)]))
    for month in range(1, 7):
        out.append(click(start + timedelta(days=30 * month, hours=2), grace["email"]))
    # Linus orders twice in the autumn, then nothing: 90 days later he is lapsed (win_back, with
    # the incentive for repeat customers).
    linus = person("Linus", "Autumn")
    start = datetime(2025, 9, 10, 16, 0, tzinfo=UTC)
    out.append(subscribed(start, linus, "linus-sub"))
    out.append(order(start + timedelta(days=2), linus, "L-2001", [("kettle", 1)]))
    out.append(order(start + timedelta(days=40), linus, "L-2002", [("coffee-beans", 2), ("grinder", 1)]))
    # Margaret spends the most: the daily VIP threshold puts her in the vip tier (thank-you, then
    # an exclusive offer), and she clicks what she gets.
    margaret = person("Margaret", "Big")
    start = datetime(2025, 11, 3, 17, 0, tzinfo=UTC)
    out.append(subscribed(start, margaret, "margaret-sub"))
    for n, at in enumerate((start + timedelta(days=1), start + timedelta(days=35), start + timedelta(days=70))):
        out.append(order(at, margaret, f"M-300{n}", [("grinder", 2), ("kettle", 2), ("espresso-cups", 3)]))
    for month in range(1, 6):
        out.append(click(start + timedelta(days=30 * month, hours=3), margaret["email"]))
    week = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    # Hedy's birthday is on March 20 (an email at 09:00 her time, with a birthday code); Radia
    # takes texts only: her birthday greeting on March 25 is an SMS.
    out.append(subscribed(week + timedelta(days=1), person("Hedy", "Birthday", birthday="1990-03-20"), "hedy-sub"))
    radia = {"phone": "+15125550177", "first_name": "Radia", "time_zone": "America/Chicago", "birthday": "1985-03-25"}
    out.append(
        generic(
            week + timedelta(days=1, hours=1),
            "consent.changed",
            radia,
            "radia-sub",
            consent={"sms": {"state": "subscribed"}},
        )
    )
    # Tim looks at the grinder twice in an afternoon and puts nothing in a cart (browse_abandonment).
    tim = person("Tim", "Browser")
    out.append(subscribed(week + timedelta(days=2), tim, "tim-sub"))
    out.append(viewed(week + timedelta(days=8, hours=2), tim, "grinder", "tim-v1"))
    out.append(viewed(week + timedelta(days=8, hours=3), tim, "grinder", "tim-v2"))
    # Barbara browses three products in a week and never orders (hot_browsers: browse_nudge).
    barbara = person("Barbara", "Looking")
    out.append(subscribed(week + timedelta(days=2, hours=2), barbara, "barbara-sub"))
    for n, product in enumerate(("kettle", "espresso-cups", "mug")):
        out.append(viewed(week + timedelta(days=9, hours=n), barbara, product, f"barbara-v{n}"))
    # Katherine leaves a checkout worth CAD 148 (three reminders; the third with a cart code).
    katherine = person("Katherine", "Cart")
    out.append(subscribed(week + timedelta(days=3), katherine, "katherine-sub"))
    checkout = {
        "token": "chk-katherine",
        "currency": "CAD",
        "total": "148.00",
        "line_items": [line_item("grinder"), line_item("kettle")],
        "abandoned_checkout_url": "https://shop.nurture-demo.example/checkouts/chk-katherine/recover",
    }
    out.append(generic(week + timedelta(days=10), "checkout.started", katherine, "katherine-chk", checkout=checkout))
    # Mary signs up on the store's form and confirms from the email (double opt-in, then welcome).
    mary = "mary.confirm@example.net"
    out.append({"at": iso(week + timedelta(days=4)), "action": "subscribe", "to": mary, "first_name": "Mary"})
    out.append({"at": iso(week + timedelta(days=4, hours=2)), "action": "confirm", "to": mary})
    # Lea (phone and country given: she fits) browses, fills a cart and starts checkouts two days
    # running: her acquisition score crosses 70 (sales_handoff) and her next round is the offer.
    lea = person("Lea", "Keen", phone="+15125550188", location={"country_code": "CA"})
    out.append(subscribed(week + timedelta(days=1, hours=3), lea, "lea-sub"))
    for n, product in enumerate(("mug", "espresso-cups")):
        out.append(viewed(week + timedelta(days=7, minutes=5 * n), lea, product, f"lea-v{n}"))
    for day_number in (7, 8):
        at = week + timedelta(days=day_number, minutes=10)
        for n in range(2):
            cart = {"token": "cart-lea", "currency": "CAD"}
            out.append(generic(at + timedelta(minutes=10 * n), "cart.updated", lea, f"lea-c{day_number}{n}", cart=cart))
        checkout = {"token": f"chk-lea-{day_number}", "currency": "CAD"}
        out.append(
            generic(at + timedelta(minutes=20), "checkout.started", lea, f"lea-k{day_number}", checkout=checkout)
        )
    return out


def codes(pool: str, count: int) -> list[str]:
    """Codes as a store would have generated them (the demo's own: no store accepts them)."""
    return [f"DEMO-{pool.upper().replace('_', '-')}-{n:03d}" for n in range(1, count + 1)]


def branch_stories() -> list[dict[str, object]]:
    """The other branches of the library's journeys (events/library-branches.jsonl, with the demo's
    configuration: tests/runtime/test_library_branches.py says what each story expects)."""
    day = datetime(2025, 9, 1, 14, 0, tzinfo=UTC)
    out: list[dict[str, object]] = [
        {"at": iso(day - timedelta(hours=1)), "action": "import_codes", "pool": pool, "codes": codes(pool, 3)}
        for pool in ("welcome", "cart_recovery", "win_back", "win_back_repeat")
    ]
    # Olga ordered before she subscribed: the welcome series' customer version, with no code.
    olga = person("Olga", "Ordered")
    out.append(order(day, olga, "O-1", [("mug", 1)]))
    out.append(subscribed(day + timedelta(days=1), olga, "olga-sub"))
    # Cora leaves a CAD 40 checkout: three reminders, the last without a code (under 75).
    cora = person("Cora", "Small")
    out.append(subscribed(day, cora, "cora-sub"))
    small = {
        "token": "chk-cora",
        "currency": "CAD",
        "total": "40.00",
        "line_items": [line_item("mug"), line_item("filter-papers")],
        "abandoned_checkout_url": "https://shop.nurture-demo.example/checkouts/chk-cora/recover",
    }
    out.append(generic(day + timedelta(days=10), "checkout.started", cora, "cora-chk", checkout=small))
    # Cleo clicks the first reminder: no second or last one.
    cleo = person("Cleo", "Clicks")
    out.append(subscribed(day, cleo, "cleo-sub"))
    clicked = {**small, "token": "chk-cleo", "abandoned_checkout_url": "https://shop.nurture-demo.example/c/cleo"}
    out.append(generic(day + timedelta(days=10), "checkout.started", cleo, "cleo-chk", checkout=clicked))
    out.append(click(day + timedelta(days=10, hours=3), cleo["email"]))
    # Cody orders what his checkout held: the recovery ends (ordered).
    cody = person("Cody", "Completes")
    out.append(subscribed(day, cody, "cody-sub"))
    held = {**small, "token": "chk-cody", "abandoned_checkout_url": "https://shop.nurture-demo.example/c/cody"}
    out.append(generic(day + timedelta(days=10), "checkout.started", cody, "cody-chk", checkout=held))
    paid_order = {
        "order_id": "C-1",
        "currency": "CAD",
        "total": "40.00",
        "line_items": small["line_items"],
        "checkout_token": "chk-cody",
    }
    out.append(generic(day + timedelta(days=10, hours=5), "order.placed", cody, "cody-order", order=paid_order))
    # Vera spends the most from the first day: the VIP threshold is hers, so the others' tier stays
    # first_time (their win-back incentive is not the VIPs').
    vera = person("Vera", "Top")
    out.append(subscribed(day - timedelta(minutes=30), vera, "vera-sub"))
    out.append(order(day - timedelta(minutes=20), vera, "V-1", [("grinder", 3), ("kettle", 3)]))
    # Una orders once and lapses: the default incentive (win_back); Uri clicks "we miss you": none.
    una = person("Una", "Once")
    out.append(subscribed(day, una, "una-sub"))
    out.append(order(day + timedelta(days=2), una, "U-1", [("kettle", 1)]))
    uri = person("Uri", "Returns")
    out.append(subscribed(day, uri, "uri-sub"))
    out.append(order(day + timedelta(days=2), uri, "R-1", [("kettle", 1)]))
    out.append(click(day + timedelta(days=92, hours=4), uri["email"]))  # the day "we miss you" goes
    # Sam stops reading but clicks the re-permission email: he stays subscribed.
    sam = person("Sam", "Stays")
    out.append(subscribed(day, sam, "sam-sub"))
    out.append(click(day + timedelta(days=180, hours=8), sam["email"]))
    # Bea looks at the kettle twice, then puts it in her cart: no browse reminder.
    bea = person("Bea", "Carts")
    out.append(subscribed(day, bea, "bea-sub"))
    out.append(viewed(day + timedelta(days=20), bea, "kettle", "bea-v1"))
    out.append(viewed(day + timedelta(days=20, hours=1), bea, "kettle", "bea-v2"))
    cart = {"token": "cart-bea", "currency": "CAD", "line_items": [line_item("kettle")]}
    out.append(generic(day + timedelta(days=20, hours=1, minutes=30), "cart.updated", bea, "bea-cart", cart=cart))
    return out


def render(stories: list[dict[str, object]], header: str) -> str:
    return header + "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in stories)


BRANCHES = Path(__file__).resolve().parents[1] / "events" / "library-branches.jsonl"


def outputs() -> dict[Path, str]:
    branches = sorted(branch_stories(), key=lambda line: str(line["at"]))
    return {
        OUT: render(
            lines(),
            "# Nurture demo: the journey library's stories, then a week of sign-ups (scripts/gen_demo_scenario.py)\n",
        ),
        BRANCHES: render(
            branches,
            "# The journey library's other branches (scripts/gen_demo_scenario.py).\n"
            "# Expected: tests/runtime/test_library_branches.py.\n"
            "# nurture run events/library-branches.jsonl --config local/nurture_local/runtime/demo/config --days 30\n",
        ),
    }


def main() -> int:
    files = outputs()
    if "--check" in sys.argv:
        return 0 if all(path.read_text(encoding="utf-8") == text for path, text in files.items()) else 1
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
