"""`parley tariff list` and `parley tariff assign` (operator commands)."""

from __future__ import annotations

import json
import sys

from sqlalchemy import func, select

from parley.config import Settings
from parley.db import Database, create_engine
from parley.errors import AppError
from parley.tariffs import service
from parley.tariffs.config import TariffCatalogue
from parley.tariffs.modules import offered_modules
from parley.users.models import User


def _database(settings: Settings) -> Database:
    return Database.from_engine(create_engine(settings, pooled=False))


async def list_tariffs(settings: Settings, *, as_json: bool) -> int:
    """Print every configured tariff with its quotas, features and user count."""
    catalogue = TariffCatalogue.from_settings(settings)
    service.install_catalogue(catalogue)
    database = _database(settings)
    try:
        async with database.read_sessionmaker() as session:
            counts = dict(await service.users_per_tariff(session))
    finally:
        await database.dispose()
    rows = []
    for name, tariff in sorted(catalogue.tariffs.items()):
        users = counts.get(name, 0)
        if name == catalogue.default_name:
            users += counts.get(None, 0)
        resource = service.tariff_resource(
            tariff, offered_modules(settings)
        ).model_dump(mode="json")
        rows.append(
            {**resource, "default": name == catalogue.default_name, "users": users}
        )
    unknown = sorted(n for n in counts if n is not None and n not in catalogue.tariffs)
    if as_json:
        print(json.dumps({"tariffs": rows, "unknown_assigned": unknown}, indent=2))
        return 0
    for row in rows:
        quotas = ", ".join(f"{k}={v}" for k, v in row["quotas"].items()) or "none"
        disabled = ", ".join(row["disabled_features"]) or "none"
        marker = " (default)" if row["default"] else ""
        print(f"{row['name']}{marker}  id={row['id']}  users={row['users']}")
        print(f"  quotas: {quotas}")
        print(f"  modules: {', '.join(row['enabled_modules']) or 'none'}")
        print(f"  disabled features: {disabled}")
    for name in unknown:
        print(
            f"warning: {counts[name]} user(s) have tariff {name!r}, which is not "
            "configured; they get the default tariff",
            file=sys.stderr,
        )
    return 0


async def assign_tariff(settings: Settings, email: str, name: str | None) -> int:
    """Give the registered user with this e-mail a tariff (None: the default)."""
    service.install_catalogue(TariffCatalogue.from_settings(settings))
    database = _database(settings)
    try:
        async with database.sessionmaker() as session, session.begin():
            users = (
                await session.scalars(
                    select(User).where(func.lower(User.email) == email.strip().lower())
                )
            ).all()
            if len(users) != 1:
                problem = "no user" if not users else f"{len(users)} users"
                print(f"parley tariff: {problem} with e-mail {email}", file=sys.stderr)
                return 1
            await service.assign_tariff(session, users[0], name)
    except AppError as exc:
        print(f"parley tariff: {exc.message}", file=sys.stderr)
        return 1
    finally:
        await database.dispose()
    print(f"{email}: {name or service.catalogue().default_name}")
    return 0
