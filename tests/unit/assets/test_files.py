"""File names and content types of assets (pure)."""

from __future__ import annotations

import pytest

from parley.assets.files import content_disposition, content_type_for, filename_problem


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("recording.webm", "video/webm"),
        ("recording.MKV", "video/x-matroska"),
        ("talk.mp4", "video/mp4"),
        ("minutes.pdf", "application/pdf"),
        ("notes.txt", "text/plain"),
        ("page.html", "application/octet-stream"),
        ("image.svg", "application/octet-stream"),
        ("script.js", "application/octet-stream"),
        ("no-extension", "application/octet-stream"),
    ],
)
def test_content_types_are_safe(filename: str, expected: str) -> None:
    assert content_type_for(filename) == expected


@pytest.mark.parametrize(
    ("filename", "problem"),
    [
        ("recording.webm", None),
        ("Ünïcödé 会议.mkv", None),
        ("", "must not be empty"),
        ("   ", "must not be empty"),
        ("a" * 256, "must be at most 255 characters"),
        ("bad\nname", "must not contain control characters"),
        ("../etc/passwd", "must not contain path separators"),
        ("dir\\file", "must not contain path separators"),
    ],
)
def test_filename_problems(filename: str, problem: str | None) -> None:
    assert filename_problem(filename) == problem


def test_content_disposition_quotes_any_name() -> None:
    assert content_disposition('a "b".webm') == (
        "attachment; filename=\"a _b_.webm\"; filename*=UTF-8''a%20%22b%22.webm"
    )
    assert content_disposition("会议.mkv") == (
        "attachment; filename=\"__.mkv\"; filename*=UTF-8''%E4%BC%9A%E8%AE%AE.mkv"
    )
