"""EasyCalendar and Videsk dialects (issue 11): API key kinds, room integration
fields and access-token authorizations, EasyCalendar meeting numbers.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "api_keys",
        sa.Column(
            "kind", sa.String(length=16), server_default="sariska", nullable=False
        ),
    )
    with op.batch_alter_table("rooms") as batch:
        batch.add_column(sa.Column("name", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("external_id", sa.String(length=255), nullable=True))
        batch.add_column(
            sa.Column("not_before", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(
            sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch.add_column(sa.Column("max_participants", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column(
                "recording_enabled",
                sa.Boolean(),
                server_default=sa.true(),
                nullable=False,
            )
        )
        batch.create_unique_constraint(
            "uq_rooms_created_by_id_external_id", ["created_by_id", "external_id"]
        )
    op.create_table(
        "room_authorizations",
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("ip", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_room_authorizations_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room_authorizations")),
        sa.UniqueConstraint("jti", name=op.f("uq_room_authorizations_jti")),
    )
    op.create_index(
        op.f("ix_room_authorizations_room_id"),
        "room_authorizations",
        ["room_id"],
        unique=False,
    )
    op.create_table(
        "easycalendar_meetings",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("client_firstname", sa.String(length=255), nullable=True),
        sa.Column("client_lastname", sa.String(length=255), nullable=True),
        sa.Column("client_email", sa.String(length=255), nullable=True),
        sa.Column("google_calendar_log", sa.Boolean(), nullable=False),
        sa.Column("google_calendar", sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_easycalendar_meetings_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_easycalendar_meetings")),
        sa.UniqueConstraint("event_id", name=op.f("uq_easycalendar_meetings_event_id")),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("easycalendar_meetings")
    op.drop_index(
        op.f("ix_room_authorizations_room_id"), table_name="room_authorizations"
    )
    op.drop_table("room_authorizations")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_constraint("uq_rooms_created_by_id_external_id", type_="unique")
        for column in (
            "recording_enabled",
            "max_participants",
            "ended_at",
            "expires_at",
            "not_before",
            "external_id",
            "name",
        ):
            batch.drop_column(column)
    with op.batch_alter_table("api_keys") as batch:
        batch.drop_column("kind")
