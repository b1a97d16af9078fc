"""Response shapes of the shared folder API (spec SharedFolder, SharedFolderAccess)."""

from __future__ import annotations

from parley.schemas import Schema
from parley.shared_folders.models import EventSharedFolder


class SharedFolderAccess(Schema):
    """A link to the folder and the password it asks for."""

    url: str
    password: str


class SharedFolder(Schema):
    """The read-only link, and the read-write link for those who may change the event."""

    read: SharedFolderAccess
    read_write: SharedFolderAccess | None = None

    @classmethod
    def of(cls, folder: EventSharedFolder, *, may_write: bool) -> SharedFolder:
        return cls(
            read=SharedFolderAccess(url=folder.read_url, password=folder.read_password),
            read_write=SharedFolderAccess(
                url=folder.write_url, password=folder.write_password
            )
            if may_write
            else None,
        )
