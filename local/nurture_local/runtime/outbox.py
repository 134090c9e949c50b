"""The local outbox: every email the runtime sent as an .eml file, every SMS as a .txt file (its text),
plus an index.html to browse them."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path


@dataclass(frozen=True)
class SentMessage:
    to: str
    channel: str
    journey: str
    step: str
    subject: str
    sent_at: datetime
    message_id: str
    raw: bytes  # the whole MIME message as SES received it (an SMS: its text, UTF-8)


def write_outbox(directory: Path, messages: Sequence[SentMessage]) -> Path:
    """Write one .eml per email, one .txt per SMS and an index.html; returns the index path. Old .eml
    and .txt files go."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in [*directory.glob("*.eml"), *directory.glob("*.txt")]:
        stale.unlink()
    rows = []
    for number, message in enumerate(messages, start=1):
        suffix = "txt" if message.channel == "sms" else "eml"
        name = f"{number:04d}-{message.sent_at:%Y%m%dT%H%M}-{_slug(message.journey)}-{_slug(message.step)}.{suffix}"
        (directory / name).write_bytes(message.raw)
        rows.append(
            "<tr>"
            f"<td>{message.sent_at:%Y-%m-%d %H:%M} UTC</td><td>{html.escape(message.to)}</td>"
            f"<td>{html.escape(message.journey)}</td><td>{html.escape(message.step)}</td>"
            f'<td><a href="{html.escape(name)}">{html.escape(message.subject)}</a></td>'
            "</tr>"
        )
    index = directory / "index.html"
    index.write_text(_INDEX.format(count=len(messages), rows="\n".join(rows)), encoding="utf-8")
    return index


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "x"


_INDEX = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Nurture local outbox</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem; color: #1d2433; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .8rem; border-bottom: 1px solid #e3e6ee; }}
th {{ background: #f5f6fa; }}
</style></head>
<body><h1>Outbox</h1><p>{count} messages sent by the local runtime (virtual time). Each links to its
.eml file (open it in a mail client to see it as a recipient would) or, for an SMS, its .txt file.</p>
<table><thead><tr><th>Sent</th><th>To</th><th>Journey</th><th>Step</th><th>Subject</th></tr></thead>
<tbody>
{rows}
</tbody></table></body></html>
"""
