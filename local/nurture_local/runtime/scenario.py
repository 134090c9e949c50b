"""Scenario files: one JSON object per line, replayed through the webhook API on a virtual clock.

    {"at": "2026-03-02T09:15:00Z", "source": "shopify", "topic": "customers/create", "body": {...}}
    {"at": "...", "source": "woocommerce", "topic": "customer.created", "body_file": "payloads/c.json"}

Optional keys: ``store`` (shop domain / site URL / generic store), ``delivery_id`` (the store's
delivery id; two lines with the same id are a retried delivery). Blank lines and lines starting with
``#`` are skipped. Lines must be in time order.

A line may instead be what a recipient does with the latest email sent to an address, published
by SES as an engagement event (Open, Click, Bounce, Complaint; ``soft_bounce`` is a transient
Bounce) to the subscribed functions:

    {"at": "2026-03-02T10:00:00Z", "action": "click", "to": "ada@example.com", "link": "https://..."}

``link`` only with ``click`` (default: the store's home page). ``step`` (a journey step id, e.g.
``"miss_you"``) picks the latest email of that step sent to the address instead of the latest one:
a late click on an older email.

Consent lines call ConsentFunction's routes (the HTTP API) the way a person or their mail client does:

    {"at": "...", "action": "subscribe", "to": "ada@example.com", "store": "shop.example", "first_name": "Ada"}
    {"at": "...", "action": "confirm", "to": "ada@example.com"}
    {"at": "...", "action": "unsubscribe", "to": "ada@example.com"}
    {"at": "...", "action": "unsubscribe", "to": "ada@example.com", "method": "GET"}

``subscribe`` POSTs the sign-up form (JSON; ``store`` defaults to the generic store). ``confirm``
POSTs the confirmation link of the latest email to ``to`` that carries one; ``unsubscribe`` POSTs
the latest email's List-Unsubscribe URL with RFC 8058's one-click body. ``"method": "GET"`` only
fetches the link (a person opening it, or a link scanner): the page, which changes nothing.
``step`` picks the email as for engagement lines.

SMS lines are what a contact's phone or carrier does:

    {"at": "...", "action": "sms_reply", "from": "+12065550142", "text": "STOP"}
    {"at": "...", "action": "sms_failure", "to": "+12065550142", "response": "Invalid phone number"}

``sms_reply`` is an SMS the contact sends to the origination number (published to the inbound topic
as End User Messaging's two-way payload); ``sms_failure`` is the FAILURE status record SNS logs for
the latest SMS sent to ``to`` (``response``: the carrier's answer). Numbers are E.164.

A code line imports discount codes into a pool of the run's table, as ``nurture codes import``
does (the same adapter; docs/offers.md, "Code pools"):

    {"at": "...", "action": "import_codes", "pool": "birthday", "codes": ["BDAY-1", "BDAY-2"]}
    {"at": "...", "action": "import_codes", "pool": "win_back", "file": "codes/win_back.csv"}

``file`` is a CSV file (header ``code``, optional ``expires_at``) relative to the scenario file,
read when the scenario is loaded; ``codes`` a list of codes (no expiry). Give exactly one. The pool
id must be a well-formed one (``[a-z][a-z0-9_]{0,39}``); it is not checked against pools.yaml (the
run's functions may read another configuration directory): a code in a pool no journey names is
never claimed. Codes the pool holds already are left as they are.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from nurture.identity import E164_PATTERN
from nurture.offers.codes import Code, CodesFileError, codes_from_list, parse_codes_csv
from nurture.offers.pools import POOL_ID

SOURCES = ("shopify", "woocommerce", "generic")
_KEYS = {"at", "source", "topic", "body", "body_file", "store", "delivery_id"}
ENGAGEMENT_ACTIONS = ("open", "click", "bounce", "soft_bounce", "complaint")
CONSENT_ACTIONS = ("subscribe", "confirm", "unsubscribe")
SMS_ACTIONS = ("sms_reply", "sms_failure")
CODES_ACTION = "import_codes"
ACTIONS = (*ENGAGEMENT_ACTIONS, *CONSENT_ACTIONS, *SMS_ACTIONS, CODES_ACTION)
_ACTION_KEYS = {"at", "action", "to", "link", "step", "method", "store", "first_name"}
_CODES_KEYS = {"at", "action", "pool", "codes", "file"}
_SMS_KEYS = {"sms_reply": {"at", "action", "from", "text"}, "sms_failure": {"at", "action", "to", "response"}}
MAX_SMS_TEXT = 1600  # what SNS accepts in one publish
DEFAULT_STORES = {
    "shopify": "nurture-demo.myshopify.com",
    "woocommerce": "https://shop.nurture-demo.example/",
    "generic": "nurture-demo",
}


class ScenarioError(ValueError):
    """A scenario line is malformed: the message names the file, line and field."""


@dataclass(frozen=True)
class ScenarioLine:
    number: int
    at: datetime
    source: str
    topic: str
    body: bytes
    store: str
    delivery_id: str
    # An engagement line (``action``): what the recipient ``to`` does with their latest email.
    action: str = ""
    to: str = ""
    link: str | None = None
    step: str | None = None  # the step of the email acted on (default: the latest email to ``to``)
    method: str = ""  # a consent line's HTTP method: "POST" (default) or "GET" (the page only)
    first_name: str | None = None  # a subscribe line's form field
    text: str = ""  # an sms_reply line's text, or an sms_failure line's provider response
    pool: str = ""  # an import_codes line's pool, and its codes
    codes: tuple[Code, ...] = ()

    @property
    def consent(self) -> bool:
        return self.action in CONSENT_ACTIONS

    @property
    def sms(self) -> bool:
        return self.action in SMS_ACTIONS

    @property
    def codes_import(self) -> bool:
        return self.action == CODES_ACTION


def load_scenario(path: Path) -> list[ScenarioLine]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None
    lines: list[ScenarioLine] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        line = _parse_line(path, number, raw)
        if lines and line.at < lines[-1].at:
            raise _error(path, number, "at", f"goes back in time (line {lines[-1].number} is later)")
        lines.append(line)
    if not lines:
        raise ScenarioError(f"{path}: the scenario has no lines")
    return lines


def _error(path: Path, number: int, field: str, message: str) -> ScenarioError:
    return ScenarioError(f"{path}:{number}: field '{field}': {message}")


def _parse_line(path: Path, number: int, raw: str) -> ScenarioLine:
    try:
        document: Any = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{path}:{number}: not valid JSON: {exc.msg}") from None
    if not isinstance(document, dict):
        raise ScenarioError(f"{path}:{number}: a line must be a JSON object")
    if "action" in document:
        return _action_line(path, number, document)
    unknown = sorted(set(document) - _KEYS)
    if unknown:
        raise _error(path, number, unknown[0], f"unknown key (allowed: {', '.join(sorted(_KEYS))})")
    at = _timestamp(path, number, document.get("at"))
    source = document.get("source")
    if source not in SOURCES:
        raise _error(path, number, "source", f"must be one of {', '.join(SOURCES)}")
    topic = document.get("topic", "")
    if not isinstance(topic, str) or (not topic and source != "generic"):
        raise _error(path, number, "topic", "must be a non-empty string (e.g. customers/create)")
    body = _body(path, number, document)
    store = document.get("store", DEFAULT_STORES[source])
    delivery_id = document.get("delivery_id", f"scenario-{path.stem}-{number}")
    for key, value in (("store", store), ("delivery_id", delivery_id)):
        if not isinstance(value, str) or not value:
            raise _error(path, number, key, "must be a non-empty string")
    return ScenarioLine(number, at, source, topic, body, store, delivery_id)


def _sms_line(path: Path, number: int, document: dict[str, Any]) -> ScenarioLine:
    action = document["action"]
    allowed = _SMS_KEYS[action]
    unknown = sorted(set(document) - allowed)
    if unknown:
        raise _error(
            path, number, unknown[0], f"unknown key on an {action} line (allowed: {', '.join(sorted(allowed))})"
        )
    at = _timestamp(path, number, document.get("at"))
    number_key, text_key = ("from", "text") if action == "sms_reply" else ("to", "response")
    phone = document.get(number_key)
    if not isinstance(phone, str) or not E164_PATTERN.fullmatch(phone):
        raise _error(path, number, number_key, "required: an E.164 phone number such as +12065550142")
    text = document.get(text_key)
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_SMS_TEXT:
        what = "the SMS the contact sends" if action == "sms_reply" else "the carrier's answer"
        raise _error(path, number, text_key, f"required: {what}, 1 to {MAX_SMS_TEXT} characters")
    return ScenarioLine(number, at, "", action, b"", "", f"scenario-{path.stem}-{number}", action, phone, text=text)


def _codes_line(path: Path, number: int, document: dict[str, Any]) -> ScenarioLine:
    unknown = sorted(set(document) - _CODES_KEYS)
    if unknown:
        allowed = ", ".join(sorted(_CODES_KEYS))
        raise _error(path, number, unknown[0], f"unknown key on an import_codes line (allowed: {allowed})")
    at = _timestamp(path, number, document.get("at"))
    pool = document.get("pool")
    if not isinstance(pool, str) or not re.fullmatch(POOL_ID, pool):
        raise _error(path, number, "pool", "required: a pool id ([a-z][a-z0-9_]{0,39}, e.g. win_back)")
    if ("codes" in document) == ("file" in document):
        raise _error(path, number, "codes", "give exactly one of 'codes' and 'file'")
    try:
        if "codes" in document:
            values = document["codes"]
            if not isinstance(values, list):
                raise _error(path, number, "codes", "a list of codes")
            codes = codes_from_list(values)
        else:
            relative = document["file"]
            if not isinstance(relative, str) or not relative:
                raise _error(path, number, "file", "must be a CSV file's path relative to the scenario file")
            try:
                text = (path.parent / relative).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise _error(path, number, "file", f"cannot read {relative}: {exc}") from None
            codes = parse_codes_csv(text, source=relative)
    except CodesFileError as exc:
        raise _error(path, number, "file" if "file" in document else "codes", str(exc)) from None
    return ScenarioLine(
        number,
        at,
        "",
        CODES_ACTION,
        b"",
        "",
        f"scenario-{path.stem}-{number}",
        CODES_ACTION,
        pool=pool,
        codes=tuple(codes),
    )


def _action_line(path: Path, number: int, document: dict[str, Any]) -> ScenarioLine:
    if document["action"] in SMS_ACTIONS:
        return _sms_line(path, number, document)
    if document["action"] == CODES_ACTION:
        return _codes_line(path, number, document)
    unknown = sorted(set(document) - _ACTION_KEYS)
    if unknown:
        raise _error(
            path, number, unknown[0], f"unknown key on an action line (allowed: {', '.join(sorted(_ACTION_KEYS))})"
        )
    at = _timestamp(path, number, document.get("at"))
    action = document["action"]
    if action not in ACTIONS:
        raise _error(path, number, "action", f"must be one of {', '.join(ACTIONS)}")
    to = document.get("to")
    if not isinstance(to, str) or "@" not in to:
        raise _error(path, number, "to", "required: the email address the message was sent to")
    link = document.get("link")
    if link is not None and (action != "click" or not isinstance(link, str) or not link):
        raise _error(path, number, "link", "a non-empty URL, only on a click")
    step = document.get("step")
    if step is not None and (not isinstance(step, str) or not step):
        raise _error(path, number, "step", "a journey step id (the email's step tag)")
    method = document.get("method", "POST" if action in CONSENT_ACTIONS else "")
    if action in CONSENT_ACTIONS and method not in ("GET", "POST"):
        raise _error(path, number, "method", "GET or POST")
    if action not in CONSENT_ACTIONS and "method" in document:
        raise _error(path, number, "method", "only on subscribe, confirm and unsubscribe lines")
    if action == "subscribe" and method != "POST":
        raise _error(path, number, "method", "a sign-up is a POST")
    store = document.get("store", DEFAULT_STORES["generic"]) if action == "subscribe" else ""
    first_name = document.get("first_name")
    for key, value in (("store", document.get("store")), ("first_name", first_name)):
        if value is not None and (action != "subscribe" or not isinstance(value, str) or not value):
            raise _error(path, number, key, "a non-empty string, only on a subscribe line")
    return ScenarioLine(
        number, at, "", action, b"", store, f"scenario-{path.stem}-{number}", action, to, link, step, method, first_name
    )


def _timestamp(path: Path, number: int, value: Any) -> datetime:
    if not isinstance(value, str):
        raise _error(path, number, "at", "required: an ISO 8601 time with an offset")
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _error(path, number, "at", f"{value!r} is not an ISO 8601 time") from None
    if parsed.tzinfo is None:
        raise _error(path, number, "at", f"{value!r} has no UTC offset")
    return parsed


def _body(path: Path, number: int, document: dict[str, Any]) -> bytes:
    if ("body" in document) == ("body_file" in document):
        raise _error(path, number, "body", "give exactly one of 'body' and 'body_file'")
    if "body" in document:
        return json.dumps(document["body"], separators=(",", ":")).encode()
    relative = document["body_file"]
    if not isinstance(relative, str) or not relative:
        raise _error(path, number, "body_file", "must be a path relative to the scenario file")
    try:
        # Sent byte for byte, as a store would: the signature covers these exact bytes.
        return (path.parent / relative).read_bytes()
    except OSError as exc:
        raise _error(path, number, "body_file", f"cannot read {relative}: {exc.strerror}") from None
