"""Participant state as stored, and the views other participants get of it.

A participant's stored state is its ``control`` data (notes §11.1), plus
``user_id`` (kept for bans; never sent), plus the fields modules add at join
(:meth:`SignalingModule.initial_state`). A view is the ``control`` data and
each module's key (:meth:`SignalingModule.peer_data`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Final

from pydantic import BaseModel, JsonValue

from parley.signaling.messages import (
    ControlData,
    Participant,
    ParticipationKind,
    Role,
    format_timestamp,
)
from parley.signaling.state import JsonObject, WaitingParticipant

CONTROL_FIELDS: Final = frozenset(ControlData.model_fields)
USER_ID: Final = "user_id"


def new_state(
    *,
    display_name: str,
    role: Role,
    kind: ParticipationKind,
    avatar_url: str | None,
    is_room_owner: bool,
    user_id: uuid.UUID | None,
    now: datetime,
) -> dict[str, JsonValue]:
    """The stored state of a participant who just sent ``join``."""
    timestamp = format_timestamp(now)
    state: dict[str, JsonValue] = {
        "display_name": display_name,
        "role": role.value,
        "participation_kind": kind.value,
        "hand_is_up": False,
        "joined_at": timestamp,
        "left_at": None,
        "hand_updated_at": timestamp,
        "is_room_owner": is_room_owner,
        USER_ID: None if user_id is None else str(user_id),
    }
    if avatar_url is not None:
        state["avatar_url"] = avatar_url
    return state


def control_data(state: Mapping[str, JsonValue]) -> ControlData:
    return ControlData.model_validate(
        {key: value for key, value in state.items() if key in CONTROL_FIELDS}
    )


def kind_of(state: Mapping[str, JsonValue]) -> ParticipationKind | None:
    raw = state.get("participation_kind")
    if not isinstance(raw, str):
        return None
    try:
        return ParticipationKind(raw)
    except ValueError:
        return None


def user_id_of(state: Mapping[str, JsonValue]) -> uuid.UUID | None:
    raw = state.get(USER_ID)
    return uuid.UUID(raw) if isinstance(raw, str) else None


def is_active(state: Mapping[str, JsonValue]) -> bool:
    """Joined and not yet left."""
    return state.get("left_at") is None


def view(
    participant_id: uuid.UUID,
    state: JsonObject,
    module_data: Mapping[str, BaseModel],
) -> Participant | None:
    """What other participants see; ``None`` for invisible ones (recorders)."""
    if kind_of(state) is ParticipationKind.RECORDER:
        return None
    return Participant.model_validate(
        {"id": participant_id, "control": control_data(state), **module_data}
    )


def waiting_view(waiting: WaitingParticipant) -> Participant:
    """An entry of ``join_success.moderation.waiting_room_participants``."""
    return Participant(
        id=waiting.participant_id,
        control=control_data(waiting.control),
        waiting_room_state=waiting.state,
    )
