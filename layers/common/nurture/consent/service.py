"""The consent routes (pure: the queue and the clock come in as objects). docs/consent.md.

    POST /subscribe                  sign-up form → consent.changed email ``pending`` (202; honeypot → 200, dropped)
    GET  /confirm?token=             page with a confirm button; changes nothing
    POST /confirm?token=             → email ``subscribed``, ``confirmed_opt_in``, with proof (200 page)
    GET  /unsubscribe?token=         page with an unsubscribe button; changes nothing (link scanners)
    POST /unsubscribe?token=         RFC 8058 one-click (or the page's button) → email ``unsubscribed`` (200)
    GET  /preferences?token=         the contact's current topics, pause and SMS state; a form to change them
    POST /preferences                the form (token in a hidden field) → topics and pause (200 page)

Every change is a canonical ``consent.changed`` (source ``nurture``) put on the events queue;
ProcessFunction applies it and its router starts or exits journeys. Nothing is written here, so a
GET can never change anything; the one read is the preferences page's (`PreferencesReader`), after
the token is verified. A bad or altered token answers a 400 page, an expired one 410; a bad form
answers 400 (413, 415) naming the fields. Unsubscribe and confirmation event ids are
derived from the token, so a repeated POST (a mail client retrying one-click) is the same event.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Final, Protocol
from urllib.parse import parse_qs, urlencode

from nurture.capture.errors import FieldError
from nurture.consent.forms import (
    FormError,
    choose_language,
    form_fields,
    is_bot,
    media_type,
    one_value,
    parse_signup,
    signup_fields,
)
from nurture.consent.pages import message_page, preferences_page
from nurture.consent.preferences import CurrentPreferences, PreferencesReader
from nurture.events import TOPICS, ChannelConsent, ConsentChanged, ConsentProof, Contact, ProofMethod, derive_event_id
from nurture.messaging.unsubscribe import TOKEN_PARAMETER, Claims, ExpiredToken, InvalidToken, verify_token

if TYPE_CHECKING:
    from nurture.events import CanonicalEvent

CONFIRM_MAX_AGE: Final = timedelta(days=7)
PAUSE: Final = timedelta(days=30)
# The store recorded on changes made on Nurture's pages (the token names the contact, not a store).
CONSENT_STORE: Final = "consent"
DOUBLE_OPT_IN_LIST: Final = "double_opt_in"  # the confirmation token's list: the journey sending it
ONE_CLICK_BODY: Final = b"List-Unsubscribe=One-Click"
HTML: Final = "text/html; charset=utf-8"
JSON: Final = "application/json"


class EventQueue(Protocol):
    def send(self, events: Sequence[CanonicalEvent]) -> None: ...


@dataclass(frozen=True)
class ConsentRequest:
    method: str
    path: str  # the route: "/unsubscribe", "/confirm", …
    query: str  # the raw query string
    headers: Mapping[str, str]  # names lower-cased
    body: bytes
    ip: str | None = None
    user_agent: str | None = None

    def query_value(self, name: str) -> str | None:
        values = parse_qs(self.query, keep_blank_values=True).get(name) or []
        return values[0] if len(values) == 1 else None


@dataclass(frozen=True)
class Answer:
    status: int
    body: str
    content_type: str = HTML
    outcome: str = "answered"  # for the log: what happened, never who


def utc_now() -> datetime:
    return datetime.now(UTC)


class _TokenProblem(Exception):
    def __init__(self, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@dataclass(frozen=True)
class ConsentService:
    secret: str
    queue: EventQueue
    preferences: PreferencesReader
    clock: Callable[[], datetime] = utc_now

    def handle(self, request: ConsentRequest) -> Answer:
        lang = choose_language(request.query_value("lang"), request.headers.get("accept-language"))
        routes: dict[tuple[str, str], Callable[[ConsentRequest, str], Answer]] = {
            ("POST", "/subscribe"): self._subscribe,
            ("GET", "/confirm"): self._confirm_page,
            ("POST", "/confirm"): self._confirm,
            ("GET", "/unsubscribe"): self._unsubscribe_page,
            ("POST", "/unsubscribe"): self._unsubscribe,
            ("GET", "/preferences"): self._preferences_page,
            ("POST", "/preferences"): self._save_preferences,
        }
        route = routes.get((request.method.upper(), request.path.rstrip("/") or "/"))
        if route is None:
            return _json(404, {"message": "no such route"}, "not_found")
        try:
            return route(request, lang)
        except _TokenProblem as problem:
            page = "expired" if problem.expired else "invalid"
            return Answer(410 if problem.expired else 400, message_page(lang, page), outcome=f"token_{page}")
        except FormError as error:
            return _json(error.status, {"message": "invalid request", "errors": error.errors}, "invalid")

    # -- double opt-in

    def _subscribe(self, request: ConsentRequest, lang: str) -> Answer:
        fields = signup_fields(request.headers.get("content-type"), request.body)
        if is_bot(fields):
            return _json(200, {"status": "accepted"}, "honeypot")  # answered like a person, dropped
        signup = parse_signup(fields)
        now = self.clock()
        digest = hashlib.sha256(signup.email.encode()).hexdigest()[:32]
        event = ConsentChanged(
            event_id=derive_event_id("nurture", signup.store, "consent.changed", f"subscribe/{digest}", now),
            source="nurture",
            store=signup.store,
            source_topic="subscribe",
            occurred_at=now,
            contact=Contact(email=signup.email, first_name=signup.first_name, locale=signup.locale),
            email=ChannelConsent(state="pending", changed_at=now),
            proof=self._proof(request, "signup_form"),
        )
        self.queue.send([event])
        if media_type(request.headers.get("content-type")) == "application/x-www-form-urlencoded":
            return Answer(202, message_page(lang, "signup"), outcome="pending")  # a browser's form post
        return _json(202, {"status": "accepted"}, "pending")

    def _confirm_page(self, request: ConsentRequest, lang: str) -> Answer:
        self._claims(request.query_value(TOKEN_PARAMETER), purpose="confirm")
        return Answer(200, message_page(lang, "confirm", action=_self_action(request), button="confirm_button"))

    def _confirm(self, request: ConsentRequest, lang: str) -> Answer:
        token = request.query_value(TOKEN_PARAMETER)
        claims = self._claims(token, purpose="confirm")
        assert token is not None
        now = self.clock()
        event = self._change(
            claims, token, "confirm", now, self._proof(request, "confirm_page"),
            consent=ChannelConsent(state="subscribed", changed_at=now, opt_in_level="confirmed_opt_in"),
        )  # fmt: skip
        self.queue.send([event])
        return Answer(200, message_page(lang, "confirmed"), outcome="subscribed")

    # -- unsubscribe

    def _unsubscribe_page(self, request: ConsentRequest, lang: str) -> Answer:
        self._claims(request.query_value(TOKEN_PARAMETER), purpose="unsubscribe")
        return Answer(200, message_page(lang, "unsubscribe", action=_self_action(request), button="unsubscribe_button"))

    def _unsubscribe(self, request: ConsentRequest, lang: str) -> Answer:
        token = request.query_value(TOKEN_PARAMETER)
        claims = self._claims(token, purpose="unsubscribe")
        assert token is not None
        # RFC 8058: the mail client POSTs exactly this body; the page's button posts an empty one.
        method: ProofMethod = "one_click" if request.body.strip() == ONE_CLICK_BODY else "unsubscribe_page"
        now = self.clock()
        consent = ChannelConsent(state="unsubscribed", changed_at=now)
        event = self._change(claims, token, "unsubscribe", now, self._proof(request, method), consent=consent)
        self.queue.send([event])
        return Answer(200, message_page(lang, "unsubscribed"), outcome="unsubscribed")

    # -- preferences

    def _preferences_page(self, request: ConsentRequest, lang: str) -> Answer:
        token = request.query_value(TOKEN_PARAMETER)
        claims = self._claims(token, purpose="unsubscribe")  # before any read: a bad token reads nothing
        assert token is not None
        current = self.preferences.current(claims.contact_id) or CurrentPreferences()
        action = "preferences" + (f"?{urlencode({'lang': lang})}" if request.query_value("lang") else "")
        return Answer(200, preferences_page(lang, action=action, token=token, current=current, now=self.clock()))

    def _save_preferences(self, request: ConsentRequest, lang: str) -> Answer:
        kind = media_type(request.headers.get("content-type"))
        if kind not in ("application/x-www-form-urlencoded", ""):
            raise FormError(
                [{"field": "headers.content-type", "message": "must be application/x-www-form-urlencoded"}], status=415
            )
        fields = form_fields(request.body)
        token = one_value(fields, TOKEN_PARAMETER) or request.query_value(TOKEN_PARAMETER)
        claims = self._claims(token, purpose="unsubscribe")
        chosen = fields.get("topics", [])
        errors: list[FieldError] = []
        if any(topic not in TOPICS for topic in chosen):
            errors.append({"field": "topics", "message": f"must be among {', '.join(TOPICS)}"})
        pause = one_value(fields, "pause")
        if pause not in (None, "", "30d"):
            errors.append({"field": "pause", "message": "must be '30d' or absent"})
        sms_box = one_value(fields, "sms")
        if sms_box not in (None, "on"):
            errors.append({"field": "sms", "message": "must be 'on' or absent"})
        if errors:
            raise FormError(errors)
        now = self.clock()
        shown = bool(one_value(fields, "sms_shown"))
        sms = self._sms_choice(claims.contact_id, shown=shown, on=sms_box == "on", now=now)
        digest = hashlib.sha256(
            json.dumps([claims.contact_id, sorted(chosen), pause, sms and sms.state]).encode()
        ).hexdigest()[:32]
        event = ConsentChanged(
            event_id=derive_event_id("nurture", CONSENT_STORE, "consent.changed", f"preferences/{digest}", now),
            source="nurture",
            store=CONSENT_STORE,
            source_topic="preferences",
            occurred_at=now,
            contact_id=claims.contact_id,
            unsubscribed_topics=tuple(topic for topic in TOPICS if topic not in chosen),
            paused_until=now + PAUSE if pause else None,
            sms=sms,
            proof=self._proof(request, "preferences_page"),
        )
        self.queue.send([event])
        return Answer(200, message_page(lang, "saved"), outcome="preferences")

    def _sms_choice(self, contact_id: str, *, shown: bool, on: bool, now: datetime) -> ChannelConsent | None:
        """The SMS consent the form changes, None when it changes none: the page offered the box
        (a contact with a number) and the choice differs from the profile's. A form saved unchanged
        must not rewrite when, and how, SMS consent was given."""
        if not shown:
            return None
        current = self.preferences.current(contact_id)
        if current is None or not current.has_phone or current.sms_subscribed == on:
            return None
        if on:  # given here, with this page's proof (time, IP, user agent) kept with the event
            return ChannelConsent(state="subscribed", changed_at=now, opt_in_level="single_opt_in")
        return ChannelConsent(state="unsubscribed", changed_at=now)

    # -- helpers

    def _claims(self, token: str | None, *, purpose: str) -> Claims:
        if not token:
            raise _TokenProblem(expired=False)
        max_age = {"confirm": CONFIRM_MAX_AGE}.get(purpose)
        try:
            if max_age is None:
                return verify_token(self.secret, token, now=self.clock(), purpose=purpose)
            return verify_token(self.secret, token, now=self.clock(), purpose=purpose, max_age=max_age)
        except ExpiredToken:
            raise _TokenProblem(expired=True) from None
        except InvalidToken:
            raise _TokenProblem(expired=False) from None

    def _change(
        self, claims: Claims, token: str, topic: str, now: datetime, proof: ConsentProof, *, consent: ChannelConsent
    ) -> ConsentChanged:
        """A change a token asks for: one event id per token (a repeated POST is the same event)."""
        digest = hashlib.sha256(token.encode()).hexdigest()[:32]
        channel = {"email": consent} if claims.channel == "email" else {"sms": consent}
        return ConsentChanged.model_validate(
            {
                "event_id": derive_event_id("nurture", CONSENT_STORE, "consent.changed", f"{topic}/{digest}", None),
                "source": "nurture",
                "store": CONSENT_STORE,
                "source_topic": topic,
                "occurred_at": now,
                "contact_id": claims.contact_id,
                "proof": proof,
                **channel,
            }
        )

    @staticmethod
    def _proof(request: ConsentRequest, method: ProofMethod) -> ConsentProof:
        return ConsentProof(
            method=method,
            ip=request.ip[:64] if request.ip else None,
            user_agent=request.user_agent[:512] if request.user_agent else None,
        )


def _self_action(request: ConsentRequest) -> str:
    """The page's form posts back to the URL it was fetched from (same path, same query)."""
    return "?" + request.query if request.query else ""


def _json(status: int, body: Mapping[str, object], outcome: str) -> Answer:
    return Answer(status, json.dumps(body, separators=(",", ":")), JSON, outcome)
