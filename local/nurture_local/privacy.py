"""``nurture privacy erase | export``: privacy requests against a deployed stack (docs/privacy.md).

For operators: it calls the account with boto3's default credentials (environment, profile, SSO)
and needs only the permissions docs/privacy.md lists. The table and the journeys' state machine
prefix come from ``--table`` / ``--state-machine-prefix`` or from the stack's outputs
(``--stack``: ``TableName``, ``JourneyStateMachinePrefix``); the SSM parameter keying the suppression
hashes from ``--secret-parameter`` or from the stack's parameters (``SuppressionSecretParameterName``
when set, else ``UnsubscribeSecretParameterName``). The contact is named by its id or
found through its identity item (email, phone, store customer id). ``erase`` is a dry run printing
counts unless ``--yes`` is given. ``export`` prints the JSON document (personal data: for the data
subject) or writes it to ``--output``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


def add_privacy_commands(commands: Any) -> None:
    privacy = commands.add_parser(
        "privacy",
        help="erase a contact, or export everything held about one, in a deployed stack",
        description="Privacy requests against a deployed Nurture stack, with the default AWS credentials.",
    )
    privacy_commands = privacy.add_subparsers(title="privacy commands")
    erase = privacy_commands.add_parser(
        "erase",
        help="erase a contact (a dry run showing counts unless --yes)",
        description="Stop the contact's journeys and delete its profile, events, orders, sends, enrolments, offers and "
        "identities; a suppressed or complaining address is kept as a hash only. Without --yes nothing "
        "is changed: the counts of what would be erased are printed.",
    )
    erase.add_argument("--yes", action="store_true", help="erase (without it: a dry run)")
    erase.set_defaults(command=_erase)
    export = privacy_commands.add_parser(
        "export",
        help="print everything held about a contact as one JSON document",
        description="Everything held about the contact (profile, identities, events, orders, sends, enrolments, "
        "offers) as one sorted JSON document. It holds personal data: it is for the data subject.",
    )
    export.add_argument("--output", type=Path, help="write the document to this file (default: standard output)")
    export.set_defaults(command=_export)
    for command in (erase, export):
        add_contact_arguments(command)
        command.add_argument("--stack", help="read the table and the journeys' prefix from this stack's outputs")
        command.add_argument("--table", help="the NurtureTable name (instead of --stack)")
        command.add_argument(
            "--state-machine-prefix", help="the journeys' state machine ARN prefix (instead of --stack)"
        )
        command.add_argument(
            "--secret-parameter",
            help="the SSM parameter keying the suppression hashes: the stack's SuppressionSecretParameterName, "
            "else its UnsubscribeSecretParameterName (instead of --stack)",
        )
        command.add_argument("--region", help="the stack's region (default: the AWS configuration's)")


def add_contact_arguments(command: Any) -> None:
    """How a command names its contact: by id, or by an identifier its identity item is found by."""
    who = command.add_mutually_exclusive_group(required=True)
    who.add_argument("--contact-id", help="the contact id (32 hex digits)")
    who.add_argument("--email", help="find the contact by email address")
    who.add_argument("--phone", help="find the contact by phone number (E.164, e.g. +14155550123)")
    who.add_argument("--customer", metavar="SOURCE/STORE/ID", help="find the contact by a store's customer id")


class UsageError(Exception):
    pass


def _targets(args: argparse.Namespace, session: Any) -> tuple[str, str, str]:
    """The table, the journeys' prefix and the SSM parameter the suppression key comes from."""
    from nurture_local.stacks import StackError, describe_stack

    if args.stack:
        if args.table or args.state_machine_prefix or args.secret_parameter:
            raise UsageError("give --stack, or --table, --state-machine-prefix and --secret-parameter, not both")
        stack = describe_stack(session, args.stack)
        try:
            table, prefix = stack.output("TableName", "JourneyStateMachinePrefix")
        except StackError as exc:
            raise UsageError(str(exc)) from None
        # The functions' own choice (template.yaml): the suppression secret when set, else the unsubscribe one.
        parameters = stack.parameters
        secret = parameters.get("SuppressionSecretParameterName") or parameters.get("UnsubscribeSecretParameterName")
        if not secret:
            raise UsageError(f"stack {args.stack} has no parameter UnsubscribeSecretParameterName")
        return table, prefix, secret
    if not (args.table and args.state_machine_prefix and args.secret_parameter):
        raise UsageError("give --stack, or all of --table, --state-machine-prefix and --secret-parameter")
    return str(args.table), str(args.state_machine_prefix), str(args.secret_parameter)


def _requests(args: argparse.Namespace) -> Any:
    from nurture.adapters.clients import AwsClients
    from nurture.adapters.dynamodb_privacy import DynamoDbPrivacyStore
    from nurture.adapters.secrets import read_secret
    from nurture.adapters.stepfunctions import JourneyExecutions
    from nurture.delivery.suppression import suppression_key
    from nurture.privacy.requests import PrivacyRequests
    from nurture_local.stacks import aws_session

    session = aws_session(args.region)
    table, prefix, secret_parameter = _targets(args, session)
    aws = AwsClients({"dynamodb": session.client("dynamodb"), "stepfunctions": session.client("stepfunctions")})
    # The same key as the stack's functions, or an erased complainer's hash would not be theirs.
    key = suppression_key(read_secret(session.client("ssm"), secret_parameter))
    return PrivacyRequests(
        DynamoDbPrivacyStore(table, aws.dynamodb, suppression_key=key), JourneyExecutions(aws.stepfunctions), prefix
    )


def contact_id_of(args: argparse.Namespace, find_contact: Any) -> str:
    """The contact ``add_contact_arguments``' options name: the id checked, or the contact an
    identifier points at (``find_contact(email= | phone= | customer=)``); LookupError when none."""
    from nurture.errors import InvalidRequest
    from nurture.identity import normalize_email, normalize_phone
    from nurture.privacy.requests import check_contact_id

    if args.contact_id is not None:
        try:
            return str(check_contact_id(args.contact_id))
        except InvalidRequest as exc:
            raise UsageError(f"--contact-id {exc.reason}") from None
    if args.email is not None:
        try:
            found = find_contact(email=normalize_email(args.email))
        except ValueError as exc:
            raise UsageError(f"--email {exc}") from None
    elif args.phone is not None:
        phone = normalize_phone(args.phone)
        if phone is None:
            raise UsageError("--phone is not a phone number in international form (+CC…)")
        found = find_contact(phone=phone)
    else:
        parts = str(args.customer).split("/")
        if len(parts) != 3 or not all(parts):
            raise UsageError("--customer must be SOURCE/STORE/ID, e.g. shopify/acme.myshopify.com/7001")
        found = find_contact(customer=(parts[0], parts[1], parts[2]))
    if found is None:
        raise LookupError("no contact has this identifier")
    return str(found)


def _run(args: argparse.Namespace, work: Any) -> int:
    def run() -> int:
        requests = _requests(args)
        return int(work(requests, contact_id_of(args, requests.find_contact)))

    return run_reporting_errors("nurture privacy", run, failed_hint="; a retry finishes an erasure")


def run_reporting_errors(program: str, run: Any, *, failed_hint: str = "") -> int:
    """``run()``'s exit status; a usage error, an unknown contact or a refused call is one line on
    standard error naming ``program``."""
    from nurture.errors import NotFound, NurtureError

    try:
        return int(run())
    except UsageError as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (LookupError, NotFound) as exc:
        print(f"{program}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except NurtureError as exc:
        print(f"{program}: failed ({type(exc).__name__}): {exc}{failed_hint}", file=sys.stderr)
        return EXIT_FAILED


def _erase(args: argparse.Namespace) -> int:
    def work(requests: Any, contact_id: str) -> int:
        summary = requests.erase(contact_id) if args.yes else requests.plan(contact_id)
        print(json.dumps(summary.as_json(), indent=2, sort_keys=True))
        if not args.yes:
            print("dry run: nothing was erased; add --yes to erase", file=sys.stderr)
        return EXIT_OK

    return _run(args, work)


def _export(args: argparse.Namespace) -> int:
    def work(requests: Any, contact_id: str) -> int:
        text = json.dumps(requests.export(contact_id), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text, encoding="utf-8")
        return EXIT_OK

    return _run(args, work)
