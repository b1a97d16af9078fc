"""The embedded OpenID provider (issue 12): local accounts, sign-in sessions,
authorization codes and refresh-token families.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 11:09:36.772621
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(name: str, *, nullable: bool = False) -> sa.Column[sa.DateTime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _foreign_key(
    table: str, column: str, target: str, ondelete: str
) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete=ondelete,
    )


def upgrade() -> None:
    op.create_table(
        "local_accounts",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        _instant("password_changed_at"),
        _instant("disabled_at", nullable=True),
        _instant("last_sign_in_at", nullable=True),
        _instant("created_at"),
        _instant("updated_at"),
        sa.Column("id", sa.Uuid(), nullable=False),
        _foreign_key("local_accounts", "user_id", "users", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_local_accounts")),
        sa.UniqueConstraint("email", name=op.f("uq_local_accounts_email")),
        sa.UniqueConstraint("user_id", name=op.f("uq_local_accounts_user_id")),
    )
    op.create_table(
        "oidc_sessions",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        _instant("created_at"),
        _instant("expires_at"),
        _instant("ended_at", nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _foreign_key("oidc_sessions", "account_id", "local_accounts", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_sessions")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_oidc_sessions_secret_hash")),
    )
    op.create_index(
        op.f("ix_oidc_sessions_account_id"), "oidc_sessions", ["account_id"]
    )
    op.create_index(
        op.f("ix_oidc_sessions_expires_at"), "oidc_sessions", ["expires_at"]
    )
    op.create_table(
        "oidc_grants",
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        _instant("created_at"),
        _instant("revoked_at", nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _foreign_key("oidc_grants", "session_id", "oidc_sessions", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_grants")),
    )
    op.create_index(op.f("ix_oidc_grants_session_id"), "oidc_grants", ["session_id"])
    op.create_table(
        "oidc_authorization_codes",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("client_id", sa.String(length=255), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("scope", sa.String(length=255), nullable=False),
        sa.Column("nonce", sa.String(length=255), nullable=True),
        sa.Column("code_challenge", sa.String(length=128), nullable=False),
        sa.Column("code_challenge_method", sa.String(length=8), nullable=False),
        _instant("created_at"),
        _instant("expires_at"),
        _instant("used_at", nullable=True),
        sa.Column("grant_id", sa.Uuid(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _foreign_key("oidc_authorization_codes", "grant_id", "oidc_grants", "SET NULL"),
        _foreign_key(
            "oidc_authorization_codes", "session_id", "oidc_sessions", "CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_authorization_codes")),
        sa.UniqueConstraint(
            "code_hash", name=op.f("uq_oidc_authorization_codes_code_hash")
        ),
    )
    op.create_index(
        op.f("ix_oidc_authorization_codes_expires_at"),
        "oidc_authorization_codes",
        ["expires_at"],
    )
    op.create_index(
        op.f("ix_oidc_authorization_codes_session_id"),
        "oidc_authorization_codes",
        ["session_id"],
    )
    op.create_table(
        "oidc_refresh_tokens",
        sa.Column("grant_id", sa.Uuid(), nullable=False),
        _instant("issued_at"),
        _instant("expires_at"),
        _instant("used_at", nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        _foreign_key("oidc_refresh_tokens", "grant_id", "oidc_grants", "CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oidc_refresh_tokens")),
    )
    op.create_index(
        op.f("ix_oidc_refresh_tokens_expires_at"), "oidc_refresh_tokens", ["expires_at"]
    )
    op.create_index(
        op.f("ix_oidc_refresh_tokens_grant_id"), "oidc_refresh_tokens", ["grant_id"]
    )


def downgrade() -> None:
    # Dropping a table drops its indexes; children before parents.
    for table in (
        "oidc_refresh_tokens",
        "oidc_authorization_codes",
        "oidc_grants",
        "oidc_sessions",
        "local_accounts",
    ):
        op.drop_table(table)
