"""The storage behind shared folders: the interface providers implement.

The one implementation is ``nextcloud.NextcloudProvider``; ``registry`` installs
the configured one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Share:
    """A public link to a folder, protected by a password."""

    share_id: str
    url: str
    password: str


@dataclass(frozen=True, slots=True)
class ProvidedFolder:
    """A folder made for an event, with its read-only and read-write links."""

    path: str
    read: Share
    write: Share


class SharedFolderProvider(Protocol):
    """What Parley needs from a storage. Failures raise ProviderUnavailable (the
    storage cannot be reached) or ProviderFailed (it answered with an error)."""

    async def create_folder(self, event_id: uuid.UUID) -> ProvidedFolder:
        """Make the event's folder (and missing parents) and two links to it.

        Leaves nothing behind when it fails part-way.
        """
        ...

    async def delete_folder(self, path: str, share_ids: Sequence[str]) -> None:
        """Delete the folder, its content and its links; a folder already gone is fine."""
        ...

    async def delete_shares(self, share_ids: Sequence[str]) -> None:
        """Remove links only, best effort (the folder stays); never raises."""
        ...
