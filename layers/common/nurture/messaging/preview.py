"""Preview an email template set with a sample contact.

    python -m nurture.messaging.preview welcome/welcome
    python -m nurture.messaging.preview welcome/content --html --first-name ""
    python -m nurture.messaging.preview welcome/feedback --eml > feedback.eml

Prints the subject and the plain-text part (``--html``: the HTML part; ``--eml``: the whole MIME
message as SES would receive it, which any mail client opens). The unsubscribe link is signed with
a throwaway preview secret.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from nurture.messaging.context import email_context
from nurture.messaging.delivery import Recipient
from nurture.messaging.mime import build_message
from nurture.messaging.rendering import RenderError, render_email
from nurture.messaging.unsubscribe import make_token, unsubscribe_url

PREVIEW_SECRET = "preview-only-not-a-real-secret"  # noqa: S105 - signs sample links, nothing else
SAMPLE_CONTACT_ID = "0f8e6a1c2b3d4e5f60718293a4b5c6d7"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nurture.messaging.preview", description=__doc__.split("\n")[0])
    parser.add_argument("template_set", help="e.g. welcome/welcome, welcome/content, welcome/feedback")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--html", action="store_true", help="print the HTML part instead of the text part")
    output.add_argument("--eml", action="store_true", help="print the complete MIME message")
    parser.add_argument("--first-name", default="Ada", help='the contact\'s first name ("" for none)')
    parser.add_argument("--store", default="acme-outfitters.myshopify.com", help="the store identifier")
    parser.add_argument("--base-url", default="https://example.com/unsubscribe", help="unsubscribe endpoint")
    args = parser.parse_args(argv)

    journey, _, step = args.template_set.partition("/")
    now = datetime.now(UTC)
    recipient = Recipient(
        contact_id=SAMPLE_CONTACT_ID,
        email="ada@example.com",
        email_consent="subscribed",
        first_name=args.first_name or None,
        store=args.store,
    )
    token = make_token(PREVIEW_SECRET, contact_id=SAMPLE_CONTACT_ID, channel="email", list_id=journey, issued_at=now)
    link = unsubscribe_url(args.base_url, token)
    try:
        rendered = render_email(
            args.template_set, email_context(recipient, journey=journey, step=step, unsubscribe_url=link)
        )
    except (RenderError, ValueError) as exc:
        sys.stderr.write(f"error: {exc}\n")
        return 1
    if args.eml:
        raw = build_message(
            sender="Acme Outfitters <hello@example.com>",
            recipient="ada@example.com",
            subject=rendered.subject,
            text=rendered.text,
            html=rendered.html,
            unsubscribe_url=link,
            date=now,
        )
        sys.stdout.write(raw.decode("ascii"))
    elif args.html:
        sys.stdout.write(rendered.html)
    else:
        sys.stdout.write(f"Subject: {rendered.subject}\n\n{rendered.text}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
