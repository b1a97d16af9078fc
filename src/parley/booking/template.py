"""``{{variable}}`` placeholders in booking-profile subject and description templates.

A placeholder is ``{{`` + optional whitespace + a name matching
``[A-Za-z_][A-Za-z0-9_.]*`` + optional whitespace + ``}}``.  A name may carry a
default, ``{{ comments = none }}``: the text after ``=`` (trimmed, no braces)
is used when the booker leaves the field empty, and makes the field optional.
Anything else in braces is ordinary text and is left alone, so a stray
``{{ }}`` never breaks a description.  Names are case-sensitive and dotted
names are flat keys (``{{company.name}}`` looks up ``"company.name"``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass

__all__ = ["TemplateField", "additional_fields", "render_template", "template_fields"]

_PLACEHOLDER = re.compile(
    r"\{\{\s*([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=\s*([^{}]*?)\s*)?\}\}", re.ASCII
)


@dataclass(frozen=True, slots=True)
class TemplateField:
    """A placeholder name and its default (``None``: the booker must fill it in)."""

    name: str
    default: str | None = None

    @property
    def required(self) -> bool:
        return self.default is None


def template_fields(
    texts: Iterable[str | None], *, exclude: Collection[str] = ()
) -> list[TemplateField]:
    """Placeholders of all ``texts``, unique by name, in order of first appearance.

    A name's default is the first one written for it anywhere in ``texts``.
    ``exclude`` drops names the server fills in itself.
    """
    defaults: dict[str, str | None] = {}
    for text in texts:
        if not text:
            continue
        for match in _PLACEHOLDER.finditer(text):
            name, default = match.group(1), match.group(2)
            if defaults.get(name) is None:
                defaults[name] = default
    return [
        TemplateField(name, default)
        for name, default in defaults.items()
        if name not in exclude
    ]


def additional_fields(
    description: str | None, *, exclude: Collection[str] = ()
) -> list[str]:
    """Placeholder names in ``description``, unique, in order of first appearance.

    ``exclude`` drops names the server fills in itself (e.g. a reschedule
    token) so the booking widget does not ask the end user for them.
    """
    return [field.name for field in template_fields([description], exclude=exclude)]


def render_template(
    text: str,
    values: Mapping[str, str | None],
    *,
    escape: Callable[[str], str] | None = None,
) -> str:
    """Replace each placeholder with its value, else its default, else ``""``.

    Missing values render empty because the text goes to invitees: a raw
    ``{{comments}}`` in an invitation looks broken, and required fields are
    checked before rendering.  Substitution is a single pass, so a value that
    itself contains ``{{name}}`` is inserted literally, never expanded.
    ``escape`` (e.g. ``html.escape``) is applied to each inserted value only,
    never to the template, for descriptions that end up as HTML.
    """

    def substitute(match: re.Match[str]) -> str:
        value = values.get(match.group(1)) or match.group(2) or ""
        return escape(value) if escape is not None else value

    return _PLACEHOLDER.sub(substitute, text)
