"""``overlay keys``: the installation's signing key (show, export the public key, rotate)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from overlay.errors import ConfigError

__all__ = ["add_parser", "run"]


def add_parser(sub: Any) -> None:
    p = sub.add_parser(
        "keys",
        help="show, export or rotate the key that signs session records",
        description="The Ed25519 key that signs session manifests, frame logs and consent "
        "records; made on first use. Private keys are never printed.",
    )
    ks = p.add_subparsers(dest="keys_command", metavar="ACTION")
    ks.add_parser("show", help="the current key id, its folder and the older key ids")
    exp = ks.add_parser("export-public", help="write the current public key (PEM)")
    exp.add_argument("--out", metavar="FILE", help="write to FILE instead of stdout")
    ks.add_parser(
        "rotate",
        help="make a new key; the old private key is deleted, its public key kept for "
        "checking old sessions",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from overlay.provenance import keys

    action = args.keys_command
    if action is None:
        raise ConfigError("overlay keys needs an action: show, export-public or rotate")
    if action == "show":
        key = keys.load_signing_key()
        print(f"current key: {key.key_id} (Ed25519)")
        print(f"folder: {keys.key_dir()}")
        older = sorted(k for k in keys.public_keys() if k != key.key_id)
        print(f"older public keys: {', '.join(older) if older else 'none'}")
        return 0
    if action == "export-public":
        key = keys.load_signing_key()
        pem = keys.public_key_pem(key.public)
        if args.out:
            out = Path(args.out)
            if out.exists():
                raise ConfigError(f"{out} exists; pick another name or delete it")
            try:
                out.write_bytes(pem)
            except OSError as exc:
                raise ConfigError(f"cannot write {out}: {exc.strerror}") from None
            print(f"public key {key.key_id} written to {out}", file=sys.stderr)
        else:
            sys.stdout.write(pem.decode("ascii"))
        return 0
    old, new = keys.rotate()
    print(f"new key: {new.key_id}; old key: {old or 'none'} (public key kept)")
    return 0
