"""What `parley apikey create|list|revoke` do (the arguments: parley.cli).

    parley apikey create --owner EMAIL|USER_ID [--name NAME] [--kind KIND]
                                        prints the credential once
    parley apikey list [--all]          keys (--all: with revoked)
    parley apikey revoke KEY_ID

`create` prints only the credential on stdout (KEY=$(parley apikey create ...)):
the secret for the kinds `sariska` (generate-token's apiKey, the default) and
`videsk` (the VPaaS api-token), `api_key:api_secret` for `easycalendar` (the
key's id is its api_key). What was created goes to stderr. The owner must have signed in once, unless Parley is its
own issuer (no PARLEY_OIDC_ISSUER): then the user is created as `parley token` would.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from datetime import UTC, datetime

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.apikeys import service
from parley.auth.local_issuer import local_subject
from parley.config import Settings
from parley.db import Database, create_engine
from parley.errors import AppError
from parley.users import service as users_service
from parley.users.models import User


class CliError(Exception):
    """A failure reported as one line and exit code 1."""


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        asyncio.run(_run(args, settings))
    except CliError as exc:
        print(f"parley apikey: {exc}", file=sys.stderr)
        return 1
    except AppError as exc:
        print(f"parley apikey: {exc.message}", file=sys.stderr)
        return 1
    except DBAPIError as exc:
        print(
            f"parley apikey: database error ({exc.orig.__class__.__name__}); "
            "is the database migrated (`parley db upgrade`)?",
            file=sys.stderr,
        )
        return 1
    return 0


async def _run(args: argparse.Namespace, settings: Settings) -> None:
    database = Database.from_engine(create_engine(settings, pooled=False))
    try:
        async with database.sessionmaker() as session, session.begin():
            if args.action == "create":
                await _create(session, settings, args.owner, args.name, args.kind)
            elif args.action == "list":
                await _list(session, include_revoked=args.all)
            else:
                await _revoke(session, args.key_id)
    finally:
        await database.dispose()


async def _owner(session: AsyncSession, settings: Settings, owner: str) -> User:
    try:
        return await users_service.get_user_or_raise(session, uuid.UUID(owner))
    except ValueError:
        pass
    users = await users_service.find_users_by_email(session, owner)
    if len(users) > 1:
        raise CliError(f"several users have the e-mail {owner}: pass the user id")
    if users:
        return users[0]
    if "@" in owner and settings.uses_local_issuer:
        email = owner.strip().lower()
        user = await users_service.sync_user_from_claims(
            session, {"sub": local_subject(email), "email": email}
        )
        if user is not None:
            return user
    raise CliError(
        f"no user has the e-mail {owner}; they must sign in once (or pass a user id)"
    )


async def _create(
    session: AsyncSession, settings: Settings, owner: str, name: str, kind: str
) -> None:
    user = await _owner(session, settings, owner)
    key, secret = await service.create_api_key(
        session, owner=user, name=name, kind=kind
    )
    print(f"{key.id}:{secret}" if kind == "easycalendar" else secret)
    print(
        f"created API key {key.id} ({key.prefix}..., {kind}) for {user.email}; "
        "the credential above is shown only once",
        file=sys.stderr,
    )


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M") if moment is not None else "-"


async def _list(session: AsyncSession, *, include_revoked: bool) -> None:
    rows = await service.list_api_keys(session, include_revoked=include_revoked)
    print("id\tprefix\towner\tname\tkind\tcreated\tlast used\trevoked")
    for key, email in rows:
        print(
            "\t".join(
                [
                    str(key.id),
                    key.prefix,
                    email,
                    key.name or "-",
                    key.kind,
                    _when(key.created_at),
                    _when(key.last_used_at),
                    _when(key.revoked_at),
                ]
            )
        )


async def _revoke(session: AsyncSession, key_id: str) -> None:
    try:
        parsed = uuid.UUID(key_id)
    except ValueError:
        raise CliError(f"{key_id!r} is not an API key id") from None
    key = await service.revoke_api_key(session, parsed, now=datetime.now(UTC))
    print(f"revoked API key {key.id} ({key.prefix}...)", file=sys.stderr)
