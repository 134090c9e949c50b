"""A synthetic store history for the predictive score: `nurture synth-events` (development only).

Contacts sign up, browse, fill carts, start checkouts, order, and receive a twice-weekly newsletter
that they open, click, unsubscribe from or bounce. Every draw comes from one seeded PRNG, so a seed
gives the same file byte for byte. The distributions (docs/scoring.md, "Predictive score"):

- each contact has a latent purchase **intent** ``z0 ~ N(0, 1)``, drifting week by week (an AR(1)
  deviation, sd 0.6, correlation 0.8 from one week to the next) and lowered for about two weeks
  after an order (``1.5 * exp(-days since the order / 10)``: a customer who just bought is sated);
- an **engagement** trait correlated with intent (``0.6 z0 + 0.8 N(0, 1)``) drives email opens
  and clicks; a phone number is more likely with intent;
- store **sessions** arrive as a Poisson process, ``0.06 * exp(0.9 intent)`` a day, 1.25 times as
  many on weekends; a click on a newsletter starts a session with probability 0.7;
- in a session: ``1 + Poisson(1.5 + max(intent, 0))`` product views; a cart with probability
  ``sigmoid(-2.2 + 1.1 intent)``; given a cart, a checkout with ``sigmoid(-0.8 + 0.9 intent)``;
  given a checkout, an order at once with ``sigmoid(0.3 + 0.6 intent)``, else a later order from
  the abandoned checkout (one to four days later) with ``sigmoid(-1.5 + 0.5 intent)``;
- an order is paid with probability 0.97, cancelled within two days with 0.03, a test order with
  0.003;
- the newsletter goes out Tuesdays and Fridays at 15:00 UTC to every contact subscribed to email:
  the first send bounces (permanently, and no more is sent) with probability 0.02; an open with
  ``sigmoid(-0.6 + 0.8 engagement + 0.4 intent)``, a click given an open with ``sigmoid(-1.7 +
  0.5 engagement + 0.5 intent)``; an unsubscribe per send with ``0.006 * exp(-0.6 engagement)``.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from nurture.events import derive_event_id

START = datetime(2025, 1, 6, tzinfo=UTC)  # a Monday: the first day of every synthetic history
STORE = "synth.myshopify.com"
_COUNTRIES = (("US", 0.55), ("CA", 0.15), ("GB", 0.15), ("FR", 0.06), ("DE", 0.04), (None, 0.05))
_CURRENCY = {"US": "USD", "CA": "CAD", "GB": "GBP", "FR": "EUR", "DE": "EUR", None: "USD"}
_CATEGORIES = ("shoes", "apparel", "outdoor", "home", "accessories")
_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Radia", "Tim")
_NEWSLETTER_WEEKDAYS = (1, 4)  # Tuesday, Friday


def sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


@dataclass(frozen=True)
class SynthProduct:
    product_id: str
    title: str
    price: float
    category: str


@dataclass
class _Person:
    key: str  # the store customer id and Nurture's contact id alike (see contact_key)
    email: str
    phone: str | None
    country: str | None
    intent: float
    engagement: float
    signup: datetime
    subscribed: bool
    deviation: float = 0.0
    last_order: datetime | None = None
    bounced: bool = False
    sent: int = 0
    carts: int = 0
    orders: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)

    def current_intent(self, at: datetime) -> float:
        sated = 0.0
        if self.last_order is not None and at > self.last_order:
            sated = 1.5 * math.exp(-(at - self.last_order) / timedelta(days=10))
        return self.intent + self.deviation - sated


class Generator:
    def __init__(self, *, contacts: int, days: int, seed: int) -> None:
        if contacts < 1 or days < 1:
            raise ValueError("contacts and days must be at least 1")
        self.contacts, self.days = contacts, days
        self.rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not a secret
        self.end = START + timedelta(days=days)
        self.products = [self._product(n) for n in range(120)]

    def events(self) -> list[dict[str, Any]]:
        """Every contact's events, ordered by occurred_at (then event id), none after the end."""
        everything: list[dict[str, Any]] = []
        for number in range(1, self.contacts + 1):
            person = self._person(number)
            self._live(person)
            everything.extend(event for event in person.events if event["occurred_at"] < self.end.isoformat())
        everything.sort(key=lambda event: (event["occurred_at"], event["event_id"]))
        return everything

    # --- the population -------------------------------------------------------------------------

    def _product(self, number: int) -> SynthProduct:
        price = min(round(math.exp(self.rng.gauss(math.log(45), 0.7)), 2), 900.0)
        category = self.rng.choice(_CATEGORIES)
        return SynthProduct(f"p{number:04d}", f"{category.title()} item {number}", price, category)

    def _person(self, number: int) -> _Person:
        rng = self.rng
        intent = rng.gauss(0, 1)
        key = f"c{number:05d}"
        country = rng.choices([c for c, _ in _COUNTRIES], weights=[w for _, w in _COUNTRIES])[0]
        has_phone = rng.random() < sigmoid(-0.9 + 0.5 * intent)
        phone = f"+1415555{number % 10000:04d}" if has_phone else None
        # Sign-ups spread over the first 85% of the period, so every contact has some history.
        signup = START + timedelta(seconds=int(rng.uniform(0, self.days * 0.85) * 86400))
        return _Person(
            key=key,
            email=f"{key}@example.com",
            phone=phone,
            country=country,
            intent=intent,
            engagement=0.6 * intent + 0.8 * rng.gauss(0, 1),
            signup=signup,
            subscribed=rng.random() < 0.75,
        )

    # --- a life ---------------------------------------------------------------------------------

    def _live(self, person: _Person) -> None:
        rng = self.rng
        self._sign_up(person)
        day = person.signup.replace(hour=0, minute=0, second=0)
        week = -1
        while day < self.end:
            index = (day - START).days
            if index // 7 != week:  # the intent's weekly drift
                week = index // 7
                person.deviation = 0.8 * person.deviation + 0.6 * math.sqrt(1 - 0.64) * rng.gauss(0, 1)
            if day.weekday() in _NEWSLETTER_WEEKDAYS:
                self._newsletter(person, day.replace(hour=15))
            season = 1.25 if day.weekday() >= 5 else 1.0
            rate = 0.06 * math.exp(0.9 * person.current_intent(day)) * season
            for _ in range(_poisson(rng, rate)):
                at = day + timedelta(seconds=rng.randrange(7 * 3600, 23 * 3600))
                if at > person.signup:
                    self._session(person, at)
            day += timedelta(days=1)

    def _sign_up(self, person: _Person) -> None:
        rng = self.rng
        contact: dict[str, Any] = {"customer_id": person.key, "email": person.email}
        if person.phone is not None:
            contact["phone"] = person.phone
        if rng.random() < 0.8:
            contact["first_name"] = rng.choice(_NAMES)
        if person.country is not None:
            contact["location"] = {"country_code": person.country}
        self._emit(person, "contact.upserted", person.signup, "customers/create", f"customer/{person.key}", contact)
        consent: dict[str, Any] = {
            "email": {
                "state": "subscribed" if person.subscribed else "not_subscribed",
                "changed_at": person.signup.isoformat(),
                "opt_in_level": "single_opt_in",
            }
        }
        if person.phone is not None:
            sms_state = "subscribed" if rng.random() < 0.5 else "not_subscribed"
            consent["sms"] = {"state": sms_state, "changed_at": person.signup.isoformat()}
        self._emit(
            person,
            "consent.changed",
            person.signup + timedelta(seconds=1),
            "customers/update",
            f"customer/{person.key}",
            {"customer_id": person.key, "email": person.email},
            **consent,
        )

    def _newsletter(self, person: _Person, at: datetime) -> None:
        if not person.subscribed or person.bounced or at <= person.signup:
            return
        rng = self.rng
        person.sent += 1
        message = {"channel": "email", "message_id": f"m-{person.key}-{(at - START).days}", "journey": "newsletter"}
        if person.sent == 1 and rng.random() < 0.02:
            person.bounced = True
            self._engagement(person, "email.bounced", at + timedelta(minutes=1), message, bounce_type="Permanent")
            return
        intent = person.current_intent(at)
        if rng.random() < sigmoid(-0.6 + 0.8 * person.engagement + 0.4 * intent):
            opened = at + timedelta(seconds=rng.randrange(60, 30 * 3600))
            self._engagement(person, "email.opened", opened, message)
            if rng.random() < sigmoid(-1.7 + 0.5 * person.engagement + 0.5 * intent):
                clicked = opened + timedelta(seconds=rng.randrange(5, 600))
                self._engagement(person, "email.clicked", clicked, message, link="https://synth.example.com/sale")
                if rng.random() < 0.7:
                    self._session(person, clicked + timedelta(seconds=30))
        if rng.random() < 0.006 * math.exp(-0.6 * person.engagement):
            left = at + timedelta(seconds=rng.randrange(600, 48 * 3600))
            person.subscribed = False
            self._emit(
                person,
                "consent.changed",
                left,
                "unsubscribe",
                f"unsubscribe/{person.key}",
                None,
                source="nurture",
                store="consent",
                contact_id=person.key,
                email={"state": "unsubscribed", "changed_at": left.isoformat()},
                proof={"method": "one_click"},
            )

    def _session(self, person: _Person, at: datetime) -> None:
        rng = self.rng
        intent = person.current_intent(at)
        viewed: list[SynthProduct] = []
        for _ in range(1 + _poisson(rng, 1.5 + max(intent, 0.0))):
            product = rng.choice(self.products)
            viewed.append(product)
            self._emit(
                person,
                "product.viewed",
                at,
                "product_viewed",
                f"view/{person.key}/{product.product_id}",
                self._contact(person),
                product=self._product_json(person, product),
            )
            at += timedelta(seconds=rng.randrange(20, 300))
        if rng.random() >= sigmoid(-2.2 + 1.1 * intent):
            return
        person.carts += 1
        token = f"cart-{person.key}-{person.carts}"
        lines = [self._line(product, rng.randint(1, 2)) for product in viewed[: rng.randint(1, 3)]]
        currency = _CURRENCY[person.country]
        subtotal = _money(sum(float(line["unit_price"]) * line["quantity"] for line in lines))
        cart = {"token": token, "currency": currency, "subtotal": subtotal, "line_items": lines}
        self._emit(person, "cart.updated", at, "carts/update", f"cart/{token}", self._contact(person), cart=cart)
        if rng.random() >= sigmoid(-0.8 + 0.9 * intent):
            return
        at += timedelta(seconds=rng.randrange(30, 900))
        checkout = {
            "token": f"co-{token}",
            "cart_token": token,
            "currency": currency,
            "subtotal": subtotal,
            "total": subtotal,
            "line_items": lines,
        }
        self._emit(
            person,
            "checkout.started",
            at,
            "checkouts/create",
            f"checkout/co-{token}",
            self._contact(person),
            checkout=checkout,
        )
        if rng.random() < 0.6:
            at += timedelta(seconds=rng.randrange(30, 600))
            self._emit(
                person,
                "checkout.updated",
                at,
                "checkouts/update",
                f"checkout/co-{token}",
                self._contact(person),
                checkout=checkout,
            )
        if rng.random() < sigmoid(0.3 + 0.6 * intent):
            self._order(person, at + timedelta(seconds=rng.randrange(30, 600)), checkout)
        elif rng.random() < sigmoid(-1.5 + 0.5 * intent):
            self._order(person, at + timedelta(seconds=rng.randrange(86400, 4 * 86400)), checkout)

    def _order(self, person: _Person, at: datetime, checkout: dict[str, Any]) -> None:
        rng = self.rng
        person.orders += 1
        person.last_order = at
        order_id = f"o-{person.key}-{person.orders}"
        order = {
            "order_id": order_id,
            "currency": checkout["currency"],
            "subtotal": checkout["subtotal"],
            "total": checkout["total"],
            "line_items": checkout["line_items"],
            "checkout_token": checkout["token"],
            "cart_token": checkout["cart_token"],
            "is_test": rng.random() < 0.003,
        }
        contact = self._contact(person)
        resource = f"order/{order_id}"
        self._emit(person, "order.placed", at, "orders/create", resource, contact, order=order)
        completed = {**checkout, "order_id": order_id}
        self._emit(
            person,
            "checkout.completed",
            at,
            "checkouts/update",
            f"checkout/{checkout['token']}",
            contact,
            checkout=completed,
        )
        if rng.random() < 0.97:
            self._emit(
                person,
                "order.paid",
                at + timedelta(seconds=rng.randrange(5, 120)),
                "orders/paid",
                resource,
                contact,
                order=order,
            )
        if rng.random() < 0.03:
            cancelled = at + timedelta(seconds=rng.randrange(3600, 2 * 86400))
            self._emit(
                person,
                "order.cancelled",
                cancelled,
                "orders/cancelled",
                resource,
                contact,
                order=order,
                cancel_reason="customer",
            )

    # --- event shapes (canonical events as JSON, nurture.events) --------------------------------

    def _contact(self, person: _Person) -> dict[str, Any]:
        return {"customer_id": person.key, "email": person.email}

    def _product_json(self, person: _Person, product: SynthProduct) -> dict[str, Any]:
        return {
            "product_id": product.product_id,
            "title": product.title,
            "unit_price": _money(product.price),
            "currency": _CURRENCY[person.country],
            "categories": [product.category],
        }

    def _line(self, product: SynthProduct, quantity: int) -> dict[str, Any]:
        return {
            "product_id": product.product_id,
            "title": product.title,
            "quantity": quantity,
            "unit_price": _money(product.price),
            "categories": [product.category],
        }

    def _engagement(
        self, person: _Person, event_type: str, at: datetime, message: dict[str, Any], **extra: Any
    ) -> None:
        self._emit(
            person,
            event_type,
            at,
            f"ses:{event_type.split('.')[1]}",
            f"message/{message['message_id']}",
            None,
            source="nurture",
            store="ses",
            contact_id=person.key,
            message=message,
            **extra,
        )

    def _emit(
        self,
        person: _Person,
        event_type: str,
        at: datetime,
        topic: str,
        resource: str,
        contact: dict[str, Any] | None,
        *,
        source: str = "shopify",
        store: str = STORE,
        **body: Any,
    ) -> None:
        at = at.replace(microsecond=0)
        # Views are snapshots too: their version is the instant, so two views are two events.
        event_id = derive_event_id(source, store, event_type, resource, at)
        event: dict[str, Any] = {
            "event_id": event_id,
            "type": event_type,
            "source": source,
            "store": store,
            "source_topic": topic,
            "occurred_at": at.isoformat(),
        }
        if contact is not None:
            event["contact"] = contact
        event.update(body)
        person.events.append(event)


def contact_key(event: dict[str, Any]) -> str | None:
    """Whom an event of a synthetic (or exported) history is about: its ``contact_id`` when it names
    one (engagement, Nurture's consent pages), else its contact's store customer id, email or phone.
    The generator uses one string for a contact's customer id and contact id."""
    if event.get("contact_id"):
        return str(event["contact_id"])
    contact = event.get("contact") or {}
    for name in ("customer_id", "email", "phone"):
        if contact.get(name):
            return str(contact[name])
    return None


def generate(*, contacts: int, days: int, seed: int) -> list[dict[str, Any]]:
    return Generator(contacts=contacts, days=days, seed=seed).events()


def write_jsonl(events: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for event in events:
            out.write(json.dumps(event, separators=(",", ":")) + "\n")


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, json.loads(line)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method: fine for the small means drawn here (a few per day at most).
    limit, count, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def _money(amount: float) -> str:
    return f"{amount:.2f}"
