"""What `parley user add|list|disable|enable|reset-password` do (arguments: parley.cli).

    parley user add EMAIL [--name NAME] [--password-stdin]
    parley user list
    parley user disable EMAIL          signs the account out everywhere
    parley user enable EMAIL
    parley user reset-password EMAIL [--password-stdin]

Local accounts sign in at the embedded OpenID provider, so they exist only while
Parley is its own issuer (no PARLEY_OIDC_ISSUER). A password is asked for twice on
the terminal without echo, or read as one line from standard input with
--password-stdin (for scripts: `printf '%s\\n' "$PW" | parley user add ...`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.auth.provider import accounts, passwords
from parley.auth.provider.models import LocalAccount
from parley.config import Settings
from parley.db import Database, create_engine
from parley.errors import AppError


class CliError(Exception):
    """A failure reported as one line and exit code 1."""


def run(args: argparse.Namespace, settings: Settings) -> int:
    if not settings.uses_local_issuer:
        print(
            "parley user: PARLEY_OIDC_ISSUER is set, so accounts live at that issuer",
            file=sys.stderr,
        )
        return 2
    try:
        password = _password(args) if args.action in ("add", "reset-password") else ""
        asyncio.run(_run(args, settings, password))
    except (CliError, passwords.WeakPassword) as exc:
        print(f"parley user: {exc}", file=sys.stderr)
        return 1
    except AppError as exc:
        print(f"parley user: {exc.message}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        print(
            f"parley user: database error ({exc.orig.__class__.__name__}); "
            "is the database migrated (`parley db upgrade`)?",
            file=sys.stderr,
        )
        return 1
    return 0


def _password(args: argparse.Namespace) -> str:
    """The new password: one line of stdin, or typed twice without echo."""
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        password = password.removesuffix("\r")
    else:
        try:
            password = getpass.getpass("Password: ")
            if getpass.getpass("Password (again): ") != password:
                raise CliError("the passwords do not match")
        except (EOFError, KeyboardInterrupt):
            raise CliError("no password given") from None
    passwords.check_new_password(password)
    return password


async def _run(args: argparse.Namespace, settings: Settings, password: str) -> None:
    database = Database.from_engine(create_engine(settings, pooled=False))
    now = datetime.now(UTC)
    try:
        async with database.sessionmaker() as session, session.begin():
            await _act(session, args, password, now)
    finally:
        await database.dispose()


async def _act(
    session: AsyncSession, args: argparse.Namespace, password: str, now: datetime
) -> None:
    if args.action == "add":
        account = await accounts.create_account(
            session, email=args.email, name=args.name, password=password
        )
        print(f"created account {account.email} ({account.name})", file=sys.stderr)
    elif args.action == "list":
        _print_accounts(await accounts.list_accounts(session))
    elif args.action in ("disable", "enable"):
        account = await accounts.set_disabled(
            session, args.email, disabled=args.action == "disable", now=now
        )
        print(f"{args.action}d account {account.email}", file=sys.stderr)
    else:
        account = await accounts.reset_password(
            session, args.email, password=password, now=now
        )
        print(
            f"set a new password for {account.email}; its sessions have ended",
            file=sys.stderr,
        )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


def _print_accounts(rows: Sequence[LocalAccount]) -> None:
    print("email\tname\tstatus\tcreated\tlast sign-in")
    for account in rows:
        status = "disabled" if account.is_disabled else "active"
        print(
            "\t".join(
                [
                    account.email,
                    account.name,
                    status,
                    _when(account.created_at),
                    _when(account.last_sign_in_at),
                ]
            )
        )
