"""api keys, reservations, conference mappings

API keys for Sariska's generate-token; reservation windows of named rooms (Sariska
scheduler and Jitsi allocations; no overlap, enforced under a per-room lock in the
service, not by a constraint); Jitsi dial-in conference mappings. Reservation ids
never repeat: BIGSERIAL on PostgreSQL, INTEGER PRIMARY KEY AUTOINCREMENT on SQLite.

Revision ID: 0004
Revises: 0001
Create Date: 2026-11-21 06:05:15.958045
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conference_mappings",
        sa.Column("id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("conference", sa.String(length=320), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conference_mappings")),
        sa.UniqueConstraint(
            "conference", name=op.f("uq_conference_mappings_conference")
        ),
    )
    op.create_table(
        "api_keys",
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_api_keys_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("secret_hash", name=op.f("uq_api_keys_secret_hash")),
    )
    op.create_index(
        op.f("ix_api_keys_owner_id"), "api_keys", ["owner_id"], unique=False
    )
    op.create_table(
        "reservations",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("room_key", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("mail_owner", sa.String(length=255), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("pin", sa.String(length=10), nullable=True),
        sa.Column("max_occupants", sa.Integer(), nullable=True),
        sa.Column("lobby", sa.Boolean(), nullable=True),
        sa.Column("is_adhoc", sa.Boolean(), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("conference_name", sa.String(length=128), nullable=True),
        sa.Column("conference_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("conference_ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_reservations_window")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_reservations_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_reservations_room_id_rooms"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reservations")),
        sqlite_autoincrement=True,
    )
    op.create_index(
        op.f("ix_reservations_created_by_id"),
        "reservations",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_reservations_mail_owner"), "reservations", ["mail_owner"], unique=False
    )
    op.create_index(
        op.f("ix_reservations_room_id"), "reservations", ["room_id"], unique=False
    )
    op.create_index(
        "ix_reservations_room_key_starts_at",
        "reservations",
        ["room_key", "starts_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_reservations_room_key_starts_at", table_name="reservations")
    op.drop_index(op.f("ix_reservations_room_id"), table_name="reservations")
    op.drop_index(op.f("ix_reservations_mail_owner"), table_name="reservations")
    op.drop_index(op.f("ix_reservations_created_by_id"), table_name="reservations")
    op.drop_table("reservations")
    op.drop_index(op.f("ix_api_keys_owner_id"), table_name="api_keys")
    op.drop_table("api_keys")
    op.drop_table("conference_mappings")
