"""Where asset bytes live, behind one interface; a local directory by default.

Writes stream into a temporary file that becomes visible under its key only when
complete (`publish`: fsync, then an atomic rename), so an interrupted upload never
leaves a half-written object; an upload that is not published is deleted. Reads and
writes move bounded chunks through a worker thread: no file is ever held in memory.

Layout of the local store (PARLEY_ASSET_DIR, default `<data_dir>/assets`):
`objects/<key[:2]>/<key>` for stored objects, `tmp/<random>.part` for uploads in flight.
"""

from __future__ import annotations

import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import IO, Protocol

from anyio import to_thread

from parley.config import Settings

logger = logging.getLogger(__name__)

READ_CHUNK_SIZE = 256 * 1024
WRITE_BUFFER_SIZE = 512 * 1024
STALE_UPLOAD_SECONDS = 24 * 3600
_KEY = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class ObjectMissing(Exception):
    """No object is stored under the key."""


class PendingUpload(Protocol):
    """Bytes being written; invisible until published."""

    @property
    def size(self) -> int: ...

    async def write(self, data: bytes) -> None: ...

    async def publish(self, key: str) -> None:
        """Make everything written so far visible under `key`, atomically."""
        ...


class StoredObject(Protocol):
    """A stored object: its size, and its bytes in chunks."""

    @property
    def size(self) -> int: ...

    def chunks(self) -> AsyncIterator[bytes]: ...


class AssetStorage(Protocol):
    def begin_upload(self) -> AbstractAsyncContextManager[PendingUpload]:
        """A new upload; leaving the context deletes it unless it was published."""
        ...

    async def open(self, key: str) -> StoredObject:
        """Open a stored object for reading; raises ObjectMissing."""
        ...

    async def delete(self, key: str) -> None:
        """Remove an object; a missing one is fine."""
        ...

    def delete_now(self, keys: Iterable[str]) -> None:
        """Remove objects right away (called just after a database commit)."""
        ...

    async def sweep_stale_uploads(self, older_than_seconds: float) -> int:
        """Delete uploads abandoned by a crashed process; returns how many."""
        ...


def _check_key(key: str) -> str:
    if not _KEY.fullmatch(key):
        raise ValueError(f"not an object key: {key!r}")
    return key


class LocalUpload:
    """An upload into `tmp/`, renamed into `objects/` by publish."""

    def __init__(self, storage: LocalAssetStorage, path: Path, file: IO[bytes]) -> None:
        self._storage = storage
        self._path = path
        self._file: IO[bytes] | None = file
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._size = 0
        self.published = False

    @property
    def size(self) -> int:
        return self._size

    async def write(self, data: bytes) -> None:
        if self._file is None:
            raise RuntimeError("the upload is closed")
        self._buffer.append(data)
        self._buffered += len(data)
        self._size += len(data)
        if self._buffered >= WRITE_BUFFER_SIZE:
            await self._flush()

    async def _flush(self) -> None:
        chunks, self._buffer, self._buffered = self._buffer, [], 0
        if chunks and self._file is not None:
            await to_thread.run_sync(self._file.writelines, chunks)

    async def publish(self, key: str) -> None:
        target = self._storage.path_for(key)
        await self._flush()
        file = self._file
        assert file is not None, "the upload is closed"

        def finish() -> None:
            file.flush()
            os.fsync(file.fileno())
            file.close()
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self._path, target)
            _fsync_directory(target.parent)

        self._file = None
        await to_thread.run_sync(finish)
        self.published = True

    def discard(self) -> None:
        """Close and delete the temporary file (quick: runs inline, even when cancelled)."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self.published:
            self._path.unlink(missing_ok=True)


def _fsync_directory(path: Path) -> None:
    # The rename is durable only once the directory entry is (POSIX).
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalObject:
    """A stored file; opened when its chunks are first read and closed after the last."""

    def __init__(self, path: Path, size: int) -> None:
        self._path = path
        self._size = size

    @property
    def size(self) -> int:
        return self._size

    async def chunks(self) -> AsyncIterator[bytes]:
        # Opening lazily means an object that is never read holds no descriptor.
        file = await to_thread.run_sync(self._path.open, "rb")
        try:
            while chunk := await to_thread.run_sync(file.read, READ_CHUNK_SIZE):
                yield chunk
        finally:
            file.close()


class LocalAssetStorage:
    """Objects as files under one directory."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.objects = root / "objects"
        self.tmp = root / "tmp"

    def path_for(self, key: str) -> Path:
        _check_key(key)
        return self.objects / key[:2] / key

    @asynccontextmanager
    async def begin_upload(self) -> AsyncIterator[LocalUpload]:
        """A fresh upload, deleted on leaving unless it was published."""
        path = self.tmp / f"{uuid.uuid4().hex}.part"

        def create() -> IO[bytes]:
            self.tmp.mkdir(parents=True, exist_ok=True)
            return path.open("xb")

        upload = LocalUpload(self, path, await to_thread.run_sync(create))
        try:
            yield upload
        finally:
            upload.discard()

    async def open(self, key: str) -> LocalObject:
        path = self.path_for(key)
        try:
            size = (await to_thread.run_sync(path.stat)).st_size
        except FileNotFoundError:
            raise ObjectMissing(key) from None
        return LocalObject(path, size)

    async def delete(self, key: str) -> None:
        await to_thread.run_sync(self.path_for(key).unlink, True)

    def delete_now(self, keys: Iterable[str]) -> None:
        for key in keys:
            try:
                self.path_for(key).unlink(missing_ok=True)
            except OSError as exc:
                logger.error("could not delete asset object %s: %s", key, exc)

    async def sweep_stale_uploads(self, older_than_seconds: float) -> int:
        def sweep() -> int:
            if not self.tmp.is_dir():
                return 0
            cutoff = time.time() - older_than_seconds
            removed = 0
            for entry in self.tmp.glob("*.part"):
                try:
                    if entry.stat().st_mtime < cutoff:
                        entry.unlink()
                        removed += 1
                except FileNotFoundError:
                    continue
            return removed

        return await to_thread.run_sync(sweep)


_storage: AssetStorage | None = None


def configure_storage(settings: Settings) -> AssetStorage:
    """Install the process's asset storage from the settings (at app creation)."""
    global _storage
    _storage = LocalAssetStorage(settings.asset_path)
    return _storage


def get_storage() -> AssetStorage:
    if _storage is None:
        raise RuntimeError("asset storage is not configured (create_app does that)")
    return _storage
