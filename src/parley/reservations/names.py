"""Room names: one normalisation used by every surface (Sariska, Jitsi, dial-in mapper).

A name is compared by its key: Unicode NFKC, surrounding whitespace removed, lower
case (the way jitsi-meet lower-cases room names before they reach Prosody). Keys are
1 to 128 characters of letters, digits and `_ - . ~ %` plus `[` `]` (Jitsi writes a
tenant's rooms as `[tenant]room`). No spaces, `@` or `/`: names end up as XMPP node
parts and URL path segments.
"""

from __future__ import annotations

import re
import unicodedata

from parley.reservations.errors import InvalidRoomName

ROOM_NAME_MAX_LENGTH = 128
_KEY_PATTERN = re.compile(r"[\w.~%\[\]-]+")


def display_room_name(raw: str) -> str:
    """The name as the user wrote it, NFKC-normalised and stripped (what is stored)."""
    return unicodedata.normalize("NFKC", raw).strip()


def normalize_room_name(raw: str) -> str:
    """The comparison key of a room name; InvalidRoomName (400) when it is not valid."""
    shown = display_room_name(raw)
    # NFKC again after lower(): lower-casing may leave a non-normalised sequence.
    key = unicodedata.normalize("NFKC", shown.lower())
    if not key:
        raise InvalidRoomName("The room name must not be empty")
    if len(key) > ROOM_NAME_MAX_LENGTH or len(shown) > ROOM_NAME_MAX_LENGTH:
        raise InvalidRoomName(
            f"The room name must be at most {ROOM_NAME_MAX_LENGTH} characters long"
        )
    if _KEY_PATTERN.fullmatch(key) is None:
        raise InvalidRoomName(
            "The room name may contain letters, digits and _ - . ~ % [ ] only"
        )
    return key
