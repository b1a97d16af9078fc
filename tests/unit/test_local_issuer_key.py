"""The local issuer's signing key: created once, even when many processes race."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from parley.auth.local_issuer import KEY_FILE_NAME, load_or_create_key


def test_racing_creators_all_get_the_one_published_key(tmp_path: Path) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        keys = list(pool.map(lambda _: load_or_create_key(tmp_path), range(16)))
    published = (tmp_path / KEY_FILE_NAME).read_bytes()
    assert set(keys) == {published}
    assert published.startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE((tmp_path / KEY_FILE_NAME).stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [KEY_FILE_NAME]
