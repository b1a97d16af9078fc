"""The local asset storage: uploads are invisible until published, then atomic."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from parley.assets.storage import LocalAssetStorage, ObjectMissing


async def read_all(storage: LocalAssetStorage, key: str) -> bytes:
    stored = await storage.open(key)
    return b"".join([chunk async for chunk in stored.chunks()])


async def test_published_upload_reads_back(tmp_path: Path) -> None:
    storage = LocalAssetStorage(tmp_path)
    key = str(uuid.uuid4())
    payload = [bytes([i]) * 300_000 for i in range(5)]  # crosses the write buffer
    async with storage.begin_upload() as upload:
        for chunk in payload:
            await upload.write(chunk)
        assert upload.size == 1_500_000
        with pytest.raises(ObjectMissing):
            await storage.open(key)
        await upload.publish(key)
    stored = await storage.open(key)
    assert stored.size == 1_500_000
    assert await read_all(storage, key) == b"".join(payload)
    assert list((tmp_path / "tmp").iterdir()) == []
    assert (tmp_path / "objects" / key[:2] / key).is_file()


async def test_unpublished_upload_leaves_nothing(tmp_path: Path) -> None:
    storage = LocalAssetStorage(tmp_path)

    async def drop() -> None:
        async with storage.begin_upload() as upload:
            await upload.write(b"x" * 2_000_000)
            raise RuntimeError("dropped")

    with pytest.raises(RuntimeError, match="dropped"):
        await drop()
    assert list((tmp_path / "tmp").iterdir()) == []
    assert not (tmp_path / "objects").exists()


async def test_delete_and_missing_objects(tmp_path: Path) -> None:
    storage = LocalAssetStorage(tmp_path)
    key = str(uuid.uuid4())
    async with storage.begin_upload() as upload:
        await upload.write(b"abc")
        await upload.publish(key)
    await storage.delete(key)
    await storage.delete(key)
    with pytest.raises(ObjectMissing):
        await storage.open(key)


def test_keys_must_be_uuids(tmp_path: Path) -> None:
    storage = LocalAssetStorage(tmp_path)
    with pytest.raises(ValueError, match="not an object key"):
        storage.path_for("../../etc/passwd")


async def test_stale_uploads_are_swept(tmp_path: Path) -> None:
    import os
    import time

    storage = LocalAssetStorage(tmp_path)
    (tmp_path / "tmp").mkdir()
    old, fresh = tmp_path / "tmp" / "old.part", tmp_path / "tmp" / "fresh.part"
    old.write_bytes(b"x")
    fresh.write_bytes(b"y")
    stale = time.time() - 3 * 86400
    os.utime(old, (stale, stale))
    assert await storage.sweep_stale_uploads(86400) == 1
    assert [p.name for p in (tmp_path / "tmp").iterdir()] == ["fresh.part"]
