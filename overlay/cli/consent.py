"""``overlay consent``: records of who agreed that their likeness may be shown."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from overlay.errors import ConfigError, ConsentError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "consent",
        help="add, list or revoke consent records for likenesses",
        description="A source that shows someone's likeness (--likeness IMAGE, or a "
        "face-swap output) starts only with a valid consent record for that image file.",
    )
    cs = p.add_subparsers(dest="consent_command", metavar="ACTION")
    add = cs.add_parser("add", help="record a person's consent for a likeness image")
    add.add_argument("--likeness", required=True, metavar="IMAGE", help="the reference image")
    add.add_argument("--name", required=True, help="the person who consents")
    add.add_argument("--expires", required=True, metavar="YYYY-MM-DD", help="last valid day (UTC)")
    add.add_argument(
        "--scope",
        default="live,record",
        help="live (virtual camera), record (recordings) or live,record (default)",
    )
    add.add_argument("--evidence", metavar="FILE", help="a signed consent form (its hash is kept)")
    add.add_argument("--statement", metavar="FILE", help="a statement the person signed")
    add.add_argument("--signature", metavar="FILE", help="their Ed25519 signature of it")
    add.add_argument("--signer-key", metavar="PEM", help="their public key (PEM)")
    add.add_argument("--note", default="", help="a free note kept in the record")
    cs.add_parser("list", help="all records, with their state")
    rev = cs.add_parser("revoke", help="revoke a record from now on")
    rev.add_argument("id", help="the record id (see overlay consent list)")
    rev.add_argument("--reason", default="", help="why")
    p.set_defaults(func=run)


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--expires {text!r} is not a date; use YYYY-MM-DD") from None


def _opt_path(value: str | None) -> Path | None:
    return Path(value) if value else None


def run(args: argparse.Namespace) -> int:
    from overlay.provenance import consent

    action = args.consent_command
    if action is None:
        raise ConfigError("overlay consent needs an action: add, list or revoke")
    if action == "add":
        record = consent.add_consent(
            subject=args.name,
            likeness=Path(args.likeness),
            expires=_date(args.expires),
            scope=tuple(s.strip() for s in args.scope.split(",") if s.strip()),
            evidence=_opt_path(args.evidence),
            statement=_opt_path(args.statement),
            signature=_opt_path(args.signature),
            signer_key=_opt_path(args.signer_key),
            note=args.note,
        )
        print(
            f"consent {record.id}: {record.subject}, likeness {record.likeness_sha256[:12]}…, "
            f"{','.join(record.scope)}, until {record.body['expires_utc']}"
        )
        return 0
    if action == "list":
        items = consent.list_consent()
        if not items:
            print("no consent records")
        for item in items:
            if isinstance(item, ConsentError):
                print(f"DAMAGED  {item}")
                continue
            state = item.problem() or "valid"
            print(
                f"{item.id}  {item.subject}  likeness {item.likeness_sha256[:12]}…  "
                f"{','.join(item.scope)}  until {item.body['expires_utc']}  {state}"
            )
        return 0
    record = consent.revoke_consent(args.id, args.reason)
    print(f"consent {record.id} for {record.subject} revoked at {record.body['revoked_utc']}")
    return 0
