"""``nurture contact show``: what the service desk sees of one contact in a deployed stack: consent,
tier, RFM, CLV, scores, segments, lists and tags, the journeys it is or was in, the codes it was
given and the personalisation decided for its messages (`nurture.privacy.contact_view`).

It finds the contact as ``nurture privacy export`` does (its id, or the identity item of an email,
phone or store customer id) and reads the same partition (one consistent Query) plus the profile
item; it prints the first name and a masked email address, no other personal data. The table comes
from ``--table`` or the stack's ``TableName`` output (``--stack``); the account from boto3's
default credentials, with ``dynamodb:Query`` and ``dynamodb:GetItem`` on the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import Any

from nurture_local.privacy import (
    EXIT_OK,
    UsageError,
    add_contact_arguments,
    contact_id_of,
    run_reporting_errors,
)
from nurture_local.stacks import StackError, describe_stack


def add_contact_commands(commands: Any) -> None:
    contact = commands.add_parser(
        "contact",
        help="show a contact's tier, treatment, journeys and offers, for the service desk",
        description="What the service desk sees of one contact in a deployed stack, with the default AWS credentials.",
    )
    contact_commands = contact.add_subparsers(title="contact commands")
    show = contact_commands.add_parser(
        "show",
        help="consent, tier, RFM, CLV, scores, segments, lists, tags, journeys, offers and personalisation",
        description="One contact's consent, tier, RFM, CLV, scores, segments, lists and tags, its journeys "
        "(enrolments), the codes it was given and the personalisation of its messages. Shows the first name "
        "and a masked email address: no other personal data.",
    )
    add_contact_arguments(show)
    show.add_argument("--stack", help="read the table from this stack's outputs")
    show.add_argument("--table", help="the NurtureTable name (instead of --stack)")
    show.add_argument("--region", help="the stack's region (default: the AWS configuration's)")
    show.add_argument("--json", action="store_true", help="print one JSON document")
    show.set_defaults(command=_show)


def _table(args: argparse.Namespace, session: Any) -> str:
    if bool(args.stack) == bool(args.table):
        raise UsageError("give --stack or --table (one of them)")
    if args.table:
        return str(args.table)
    try:
        (table,) = describe_stack(session, args.stack).output("TableName")
    except StackError as exc:
        raise UsageError(str(exc)) from None
    return table


def show_contact(dynamodb: Any, table: str, args: argparse.Namespace, now: datetime) -> dict[str, Any]:
    """The service desk's document for the contact ``args`` names (LookupError / NotFound: none)."""
    from nurture.adapters.dynamodb_privacy import DynamoDbPrivacyStore
    from nurture.adapters.dynamodb_profiles import ProfileRepository
    from nurture.errors import NotFound
    from nurture.privacy.contact_view import contact_view
    from nurture.privacy.requests import find_contact

    store = DynamoDbPrivacyStore(table, dynamodb)  # no suppression key: it only reads

    def find(**identifier: Any) -> str | None:
        return find_contact(store, **identifier)

    contact_id = contact_id_of(args, find)
    items = store.contact_items(contact_id)
    if not items:
        raise NotFound("contact")
    return contact_view(ProfileRepository(table, dynamodb).get_profile(contact_id), items, now)


def _show(args: argparse.Namespace) -> int:
    def run() -> int:
        import boto3

        from nurture.privacy.contact_view import render

        session = boto3.Session(region_name=args.region) if args.region else boto3.Session()
        document = show_contact(session.client("dynamodb"), _table(args, session), args, datetime.now(UTC))
        if args.json:
            sys.stdout.write(json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render(document) + "\n")
        return EXIT_OK

    return run_reporting_errors("nurture contact", run)
