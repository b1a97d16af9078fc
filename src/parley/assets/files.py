"""Pure helpers for asset file names and content types (no I/O)."""

from __future__ import annotations

import mimetypes
import unicodedata
from urllib.parse import quote

MAX_FILENAME_LENGTH = 255
DEFAULT_CONTENT_TYPE = "application/octet-stream"

# Types a browser will not run as active content from Parley's origin. Anything else
# (HTML, SVG, JavaScript, XML, ...) is served as application/octet-stream.
_SAFE_PREFIXES = ("video/", "audio/")
_SAFE_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/json",
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    }
)
# Container formats recordings come in that not every mimetypes table knows.
_EXTRA_TYPES = {".mkv": "video/x-matroska", ".webm": "video/webm", ".mp4": "video/mp4"}


def filename_problem(filename: str) -> str | None:
    """Why a name is unusable as an asset's file name, or None when it is fine."""
    if not filename.strip():
        return "must not be empty"
    if len(filename) > MAX_FILENAME_LENGTH:
        return f"must be at most {MAX_FILENAME_LENGTH} characters"
    if any(unicodedata.category(char).startswith("C") for char in filename):
        return "must not contain control characters"
    if "/" in filename or "\\" in filename:
        return "must not contain path separators"
    return None


def content_type_for(filename: str) -> str:
    """The content type to store and serve for a file name (safe types only)."""
    suffix = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    guessed = (
        _EXTRA_TYPES.get(suffix) or mimetypes.guess_type(filename, strict=False)[0]
    )
    if guessed and (guessed in _SAFE_TYPES or guessed.startswith(_SAFE_PREFIXES)):
        return guessed
    return DEFAULT_CONTENT_TYPE


def content_disposition(filename: str) -> str:
    """`attachment` with the name as RFC 6266/5987 `filename*` plus an ASCII fallback."""
    fallback = (
        "".join(
            char if char.isascii() and char.isprintable() and char not in '"\\' else "_"
            for char in filename
        )
        or "asset"
    )
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
