"""``{{variable}}`` placeholders in booking-profile description templates.

A placeholder is ``{{`` + optional whitespace + a name matching
``[A-Za-z_][A-Za-z0-9_.]*`` + optional whitespace + ``}}``.  Anything else in
braces is ordinary text and is left alone, so a stray ``{{ }}`` never breaks
a description.  Names are case-sensitive and dotted names are flat keys
(``{{company.name}}`` looks up ``"company.name"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping

__all__ = ["additional_fields", "render_template"]

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\}\}", re.ASCII)


def additional_fields(
    description: str | None, *, exclude: Collection[str] = ()
) -> list[str]:
    """Placeholder names in ``description``, unique, in order of first appearance.

    ``exclude`` drops names the server fills in itself (e.g. a reschedule
    token) so the booking widget does not ask the end user for them.
    """
    if not description:
        return []
    # dict keeps insertion order: a cheap ordered set.
    names = dict.fromkeys(
        match.group(1) for match in _PLACEHOLDER.finditer(description)
    )
    return [name for name in names if name not in exclude]


def render_template(
    text: str,
    values: Mapping[str, str | None],
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """Replace each placeholder with its value; missing or ``None`` becomes ``""``.

    Missing values render empty because the text goes to invitees: a raw
    ``{{comments}}`` in an invitation looks broken, and required fields are
    checked before rendering.  Substitution is a single pass, so a value that
    itself contains ``{{name}}`` is inserted literally, never expanded.
    ``escape`` (e.g. ``html.escape``) is applied to each inserted value only,
    never to the template, for descriptions that end up as HTML.
    """

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1)) or ""
        return escape(value) if escape is not None else value

    return _PLACEHOLDER.sub(substitute, text)
