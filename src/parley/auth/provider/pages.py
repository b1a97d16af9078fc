"""The provider's server-rendered pages: sign in, signed in, sign out, errors.

Plain HTML forms with labels, one heading, errors announced (role="alert") and
tied to their fields (aria-describedby, aria-invalid), focus on the first field
that needs attention; no script. Every value is escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources

from fastapi.responses import HTMLResponse, Response

STYLESHEET = (
    resources.files("parley.auth.provider") / "static" / "signin.css"
).read_bytes()
STYLESHEET_PATH = "/oidc/assets/signin.css"


def security_headers(form_targets: Iterable[str] = ()) -> dict[str, str]:
    """No framing, no scripts, forms post here (and redirect on to the clients)."""
    targets = " ".join(sorted(set(form_targets)))
    return {
        "Content-Security-Policy": (
            "default-src 'none'; style-src 'self'; img-src 'self'; "
            f"form-action 'self' {targets}".rstrip()
            + "; frame-ancestors 'none'; base-uri 'none'"
        ),
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title)} · Parley</title>\n"
        f'<link rel="stylesheet" href="{STYLESHEET_PATH}"></head>\n'
        f"<body><main>\n{body}\n</main></body></html>\n"
    )


def _hidden(fields: Iterable[tuple[str, str]]) -> str:
    return "".join(
        f'<input type="hidden" name="{html.escape(name)}" value="{html.escape(value)}">'
        for name, value in fields
    )


def _alert(message: str | None) -> str:
    if not message:
        return ""
    return (
        '<div class="alert" role="alert" id="form-error">'
        f"<p>{html.escape(message)}</p></div>"
    )


@dataclass
class SignInForm:
    """The sign-in page, with the authorization request it continues."""

    csrf_token: str
    request_fields: list[tuple[str, str]] = field(default_factory=list)
    client_name: str | None = None
    email: str = ""
    error: str | None = None
    field_errors: dict[str, str] = field(default_factory=dict)

    def _field(self, name: str, label: str, input_type: str, autocomplete: str) -> str:
        problem = self.field_errors.get(name)
        described = f"{name}-error" if problem else ("form-error" if self.error else "")
        value = f' value="{html.escape(self.email)}"' if name == "email" else ""
        focus = name == self._focus()
        return (
            '<div class="field">'
            f'<label for="{name}">{label}</label>'
            f'<input id="{name}" name="{name}" type="{input_type}" '
            f'autocomplete="{autocomplete}" required{value}'
            + (f' aria-describedby="{described}"' if described else "")
            + (' aria-invalid="true"' if problem or self.error else "")
            + (" autofocus" if focus else "")
            + ">"
            + (
                f'<p class="field-error" id="{name}-error">{html.escape(problem)}</p>'
                if problem
                else ""
            )
            + "</div>"
        )

    def _focus(self) -> str:
        if "email" in self.field_errors or not self.email:
            return "email"
        return "password"

    def render(self) -> str:
        continuing = (
            f'<p class="client">to continue to {html.escape(self.client_name)}</p>'
            if self.client_name
            else ""
        )
        return _document(
            "Sign in",
            "<h1>Sign in to Parley</h1>"
            + continuing
            + _alert(self.error)
            + '<form method="post" action="/oidc/auth" novalidate>'
            + _hidden([*self.request_fields, ("csrf_token", self.csrf_token)])
            + self._field("email", "E-mail address", "email", "username")
            + self._field("password", "Password", "password", "current-password")
            + '<button type="submit">Sign in</button></form>',
        )


def signed_in_page(email: str, csrf_token: str) -> str:
    return _document(
        "Signed in",
        "<h1>You are signed in</h1>"
        f"<p>You are signed in to Parley as <strong>{html.escape(email)}</strong>.</p>"
        '<form method="post" action="/oidc/logout">'
        + _hidden([("csrf_token", csrf_token), ("confirm", "yes")])
        + '<button type="submit">Sign out</button></form>',
    )


def sign_out_page(
    fields: list[tuple[str, str]], csrf_token: str, *, problem: str | None = None
) -> str:
    return _document(
        "Sign out",
        "<h1>Sign out of Parley?</h1>"
        + _alert(problem)
        + "<p>You will be signed out of Parley in this browser.</p>"
        + '<form method="post" action="/oidc/logout">'
        + _hidden([*fields, ("csrf_token", csrf_token), ("confirm", "yes")])
        + '<button type="submit">Sign out</button></form>',
    )


def signed_out_page() -> str:
    return _document(
        "Signed out",
        "<h1>You are signed out</h1><p>You can close this page.</p>",
    )


def error_page(title: str, message: str) -> str:
    return _document(title, f"<h1>{html.escape(title)}</h1>" + _alert(message))


def page(
    body: str,
    *,
    status_code: int = 200,
    form_targets: Iterable[str] = (),
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    return HTMLResponse(
        body,
        status_code=status_code,
        headers={**security_headers(form_targets), **(headers or {})},
    )


def stylesheet() -> Response:
    return Response(
        STYLESHEET,
        media_type="text/css; charset=utf-8",
        headers={
            "Cache-Control": "public, max-age=300",
            "X-Content-Type-Options": "nosniff",
        },
    )
