"""Tariff use cases: which tariff applies, its quotas and features, assignment.

The catalogue is process configuration, installed by `create_app` (and the CLI) from
the settings; the functions below read it. Other domains call:

- `tariff_for_room(session, room)` when someone connects (signaling reads the
  `room_participant_limit` and `room_time_limit_secs` quotas from it),
- `require_feature(session, room, "call_in")` before call-in and SIP configs (403
  `feature_disabled_by_tariff`; `require_user_feature` for a room being created),
- `max_storage(session, user_id)` before storing an asset.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import get_settings
from parley.errors import Forbidden, NotFound
from parley.rooms.models import Room
from parley.tariffs.config import (
    MAX_STORAGE,
    Tariff,
    TariffCatalogue,
    feature_id,
)
from parley.tariffs.modules import offered_modules
from parley.tariffs.schemas import TariffModuleRead, TariffRead
from parley.users.models import User


class FeatureDisabledByTariff(Forbidden):
    code = "feature_disabled_by_tariff"
    default_message = "The room owner's tariff does not include this feature"


class UnknownTariff(NotFound):
    code = "unknown_tariff"
    default_message = "No tariff of that name is configured"


_catalogue: TariffCatalogue | None = None


def install_catalogue(catalogue: TariffCatalogue) -> None:
    """Make this catalogue the process's tariffs (called at app creation)."""
    global _catalogue
    _catalogue = catalogue


def catalogue() -> TariffCatalogue:
    """The installed catalogue; the built-in default when nothing was installed."""
    if _catalogue is None:
        install_catalogue(TariffCatalogue.from_settings(get_settings()))
    assert _catalogue is not None
    return _catalogue


def tariff_of(user: User) -> Tariff:
    """The tariff of a loaded user row (no query)."""
    return catalogue().get(user.tariff)


async def tariff_for_user(session: AsyncSession, user_id: uuid.UUID) -> Tariff:
    name = await session.scalar(select(User.tariff).where(User.id == user_id))
    return catalogue().get(name)


async def tariff_for_room(session: AsyncSession, room: Room) -> Tariff:
    """A room runs on its creator's tariff (notes 8.5)."""
    return await tariff_for_user(session, room.created_by_id)


async def max_storage(session: AsyncSession, user_id: uuid.UUID) -> int | None:
    """Bytes of assets the user may own; None means unlimited."""
    return (await tariff_for_user(session, user_id)).quota(MAX_STORAGE)


async def require_feature(session: AsyncSession, room: Room, feature: str) -> None:
    """Raise 403 feature_disabled_by_tariff unless the room's tariff has the feature.

    `feature` is a feature id (`core::call_in`) or a core feature's name (`call_in`).
    """
    _require(await tariff_for_room(session, room), feature, "The room owner's")


async def require_module(session: AsyncSession, room: Room, module: str) -> None:
    """Raise 403 feature_disabled_by_tariff when the room's tariff disables the module."""
    if module in (await tariff_for_room(session, room)).disabled_modules:
        raise FeatureDisabledByTariff(
            f"The room owner's tariff does not include the {module} module"
        )


async def require_user_feature(
    session: AsyncSession, user_id: uuid.UUID, feature: str
) -> None:
    """Like `require_feature`, for the user's own tariff (before they own the room)."""
    _require(await tariff_for_user(session, user_id), feature, "Your")


def _require(tariff: Tariff, feature: str, whose: str) -> None:
    if tariff.is_feature_disabled(feature):
        raise FeatureDisabledByTariff(
            f"{whose} tariff does not include {feature_id(feature)}"
        )


def tariff_resource(
    tariff: Tariff, offered: Mapping[str, frozenset[str]] | None = None
) -> TariffRead:
    """The spec's Tariff with `modules` keyed by module name (notes 8.5).

    `offered`: the modules the server offers (`offered_modules(settings)`);
    by default the ones every server has.
    """
    modules = {
        module: TariffModuleRead(
            features=sorted(
                feature
                for feature in features
                if f"{module}::{feature}" not in tariff.disabled_features
            )
        )
        for module, features in sorted((offered or offered_modules()).items())
        if module not in tariff.disabled_modules
    }
    return TariffRead(
        id=tariff.id,
        name=tariff.name,
        quotas=dict(sorted(tariff.quotas.items())),
        enabled_modules=sorted(modules),
        disabled_features=sorted(tariff.disabled_features),
        modules=modules,
    )


async def assign_tariff(session: AsyncSession, user: User, name: str | None) -> None:
    """Give the user a configured tariff; None returns them to the default."""
    if name is not None and name not in catalogue().tariffs:
        raise UnknownTariff(f"No tariff named {name!r} is configured")
    user.tariff = name
    await session.flush()


async def users_per_tariff(session: AsyncSession) -> Sequence[tuple[str | None, int]]:
    """How many users each stored tariff name has (None: the default)."""
    rows = await session.execute(
        select(User.tariff, func.count()).group_by(User.tariff).order_by(User.tariff)
    )
    return [(name, count) for name, count in rows.tuples()]
