"""Assets, room streaming targets, and a tariff per user (issue 7, room level).

`users.tariff` names a configured tariff; NULL means the default tariff.

Revision ID: 0006
Revises: 0001
Create Date: 2026-11-21 06:03:24.872205
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "assets",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("owner_id", sa.Uuid(), nullable=False),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("namespace", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("content_type", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_assets_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_assets_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index(
        "ix_assets_owner_id_size", "assets", ["owner_id", "size"], unique=False
    )
    op.create_index(op.f("ix_assets_room_id"), "assets", ["room_id"], unique=False)
    op.create_table(
        "room_streaming_targets",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("streaming_endpoint", sa.String(length=2048), nullable=False),
        sa.Column("streaming_key", sa.String(length=1024), nullable=False),
        sa.Column("public_url", sa.String(length=2048), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_streaming_targets_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_streaming_targets")),
    )
    op.create_index(
        op.f("ix_room_streaming_targets_room_id"),
        "room_streaming_targets",
        ["room_id"],
        unique=False,
    )
    op.add_column("users", sa.Column("tariff", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("tariff")
    op.drop_index(
        op.f("ix_room_streaming_targets_room_id"), table_name="room_streaming_targets"
    )
    op.drop_table("room_streaming_targets")
    op.drop_index(op.f("ix_assets_room_id"), table_name="assets")
    op.drop_index("ix_assets_owner_id_size", table_name="assets")
    op.drop_table("assets")
