"""`vault accounts`: disable or re-enable an officer's account or an agency system, on the
server (the administrator endpoints do the same over the API, within one agency).

    vault accounts disable officer USERNAME    # sign-in refused, issued tokens revoked
    vault accounts enable officer USERNAME     # back in (a sign-in lockout is lifted too)
    vault accounts disable client CLIENT_ID
    vault accounts enable client CLIENT_ID

Imported only when the command runs (`api.cli` dispatches to `main`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from vault.errors import VaultError
from vault.runtime import Vault
from vault.settings import Settings


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vault accounts", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="verb", required=True)
    for verb, what in (("disable", "switch off"), ("enable", "switch back on")):
        command = sub.add_parser(verb, help=f"{what} an officer's account or an agency system")
        command.add_argument(
            "kind", choices=["officer", "client"], help="an account (by username) or a client"
        )
        command.add_argument("name", help="the account's username, or the client id")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    try:
        settings = Settings()
    except ValidationError as exc:
        print(f"invalid configuration: {exc}", file=sys.stderr)
        return 2
    active = args.verb == "enable"
    vault = Vault.from_settings(settings)
    try:
        with vault.uows() as uow:
            if args.kind == "officer":
                account = vault.auth.set_account_active(uow, None, args.name, active)
                result = {"username": account.username, "active": account.active}
            else:
                client = vault.auth.set_client_active(uow, None, args.name, active)
                result = {"client_id": client.client_id, "active": client.active}
            uow.commit()
    except VaultError as exc:
        print(f"error: {exc.detail}", file=sys.stderr)
        return 2
    finally:
        vault.close()
    print(json.dumps(result))
    if not active:
        print("its tokens issued so far are revoked", file=sys.stderr)
    return 0
