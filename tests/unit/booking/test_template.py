"""Unit tests for {{variable}} extraction and rendering in description templates."""

from __future__ import annotations

import html

import pytest

from parley.booking.template import (
    TemplateField,
    additional_fields,
    render_template,
    template_fields,
)


@pytest.mark.parametrize(
    ("description", "expected"),
    [
        pytest.param("Hello {{name}}, about {{comments}}.", ["name", "comments"], id="basic"),
        pytest.param("{{ name }} and {{\tname\n}} again {{name}}", ["name"], id="unique-whitespace-inside"),
        pytest.param("{{b}} {{a}} {{b}} {{c}}", ["b", "a", "c"], id="order-of-first-appearance"),
        pytest.param("{{company.name}} {{_private}} {{x1}}", ["company.name", "_private", "x1"],
                     id="dots-underscores-digits"),
        pytest.param("{{Name}} {{name}}", ["Name", "name"], id="case-sensitive"),
        pytest.param("{{1st}} {{}} {{ }} {{a b}} {{a-b}} {name} {{{x}}}", ["x"],
                     id="invalid-placeholders-are-text"),
        pytest.param("{{ná}} {{x", [], id="non-ascii-and-unterminated"),
        pytest.param("", [], id="empty"),
        pytest.param(None, [], id="none"),
    ],
)  # fmt: skip
def test_additional_fields(description: str | None, expected: list[str]) -> None:
    assert additional_fields(description) == expected


def test_additional_fields_can_exclude_server_filled_names() -> None:
    description = "Notes: {{comments}}. Reschedule: {{rescheduleToken}}"

    assert additional_fields(description, exclude={"rescheduleToken"}) == ["comments"]


@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        pytest.param("Hi {{ name }}!", {"name": "Ada"}, "Hi Ada!", id="substitutes"),
        pytest.param("{{a}}{{a}}", {"a": "x"}, "xx", id="every-occurrence"),
        pytest.param("Notes: {{comments}}.", {}, "Notes: .", id="missing-renders-empty"),
        pytest.param("Notes: {{comments}}.", {"comments": None}, "Notes: .", id="none-renders-empty"),
        pytest.param("{{a}}", {"a": "{{b}}", "b": "boom"}, "{{b}}", id="values-are-not-expanded"),
        pytest.param("{{ }} {x} {{1a}}", {"1a": "no"}, "{{ }} {x} {{1a}}", id="non-placeholders-untouched"),
        pytest.param("{{company.name}}", {"company.name": "ACME"}, "ACME", id="dotted-name-is-a-flat-key"),
        pytest.param("no variables", {"a": "b"}, "no variables", id="plain-text"),
    ],
)  # fmt: skip
def test_render_template(
    text: str, values: dict[str, str | None], expected: str
) -> None:
    assert render_template(text, values) == expected


def test_render_template_escapes_values_not_the_template() -> None:
    rendered = render_template(
        "<b>{{name}}</b>", {"name": "<script>x</script> & co"}, escape=html.escape
    )

    assert rendered == "<b>&lt;script&gt;x&lt;/script&gt; &amp; co</b>"


def test_extracted_fields_are_exactly_what_render_fills() -> None:
    description = "{{ a }} {{b.c}} {{a}} {{ }}"
    values = {name: f"<{name}>" for name in additional_fields(description)}

    assert render_template(description, values) == "<a> <b.c> <a> {{ }}"


@pytest.mark.parametrize(
    ("texts", "expected"),
    [
        pytest.param(["{{a}} {{b=x}}"], [TemplateField("a"), TemplateField("b", "x")], id="required-and-default"),
        pytest.param(["{{ c = no comment }}"], [TemplateField("c", "no comment")], id="default-trimmed"),
        pytest.param(["{{c=}}"], [TemplateField("c", "")], id="empty-default-is-optional"),
        pytest.param(["{{a}}", "{{a=later}} {{b}}"], [TemplateField("a", "later"), TemplateField("b")],
                     id="first-default-wins-across-texts"),
        pytest.param(["{{a=x}} {{a=y}}"], [TemplateField("a", "x")], id="first-default-kept"),
        pytest.param([None, "", "{{a={b}}}"], [], id="braces-in-default-are-text"),
    ],
)  # fmt: skip
def test_template_fields(
    texts: list[str | None], expected: list[TemplateField]
) -> None:
    assert template_fields(texts) == expected


def test_template_fields_exclude_and_required() -> None:
    fields = template_fields(["{{name}} {{notes=-}}"], exclude={"name"})

    assert fields == [TemplateField("notes", "-")]
    assert fields[0].required is False
    assert TemplateField("x").required is True


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param({}, "Notes: none.", id="default-when-missing"),
        pytest.param({"notes": ""}, "Notes: none.", id="default-when-empty"),
        pytest.param({"notes": "bring slides"}, "Notes: bring slides.", id="value-wins"),
    ],
)  # fmt: skip
def test_render_template_uses_defaults(values: dict[str, str], expected: str) -> None:
    assert render_template("Notes: {{ notes = none }}.", values) == expected
