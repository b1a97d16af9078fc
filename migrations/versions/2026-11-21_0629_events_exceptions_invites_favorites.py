"""events, event exceptions, invites (user and e-mail) and favorites

The listing indexes (ix_events_listing, ix_event_invites_listing) serve window
queries per span class; see src/parley/events/listing_keys.py.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21 06:29:35.470278
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("description", sa.String(length=4096), nullable=False),
        sa.Column("room_id", sa.Uuid(), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("is_time_independent", sa.Boolean(), nullable=False),
        sa.Column("is_all_day", sa.Boolean(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at_tz", sa.String(length=64), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at_tz", sa.String(length=64), nullable=True),
        sa.Column("recurrence_pattern", sa.Text(), nullable=True),
        sa.Column("is_adhoc", sa.Boolean(), nullable=False),
        sa.Column("first_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("span_class", sa.SmallInteger(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_events_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["room_id"],
            ["rooms.id"],
            name=op.f("fk_events_room_id_rooms"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_events_updated_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("room_id", name=op.f("uq_events_room_id")),
    )
    op.create_index(
        "ix_events_listing",
        "events",
        ["created_by_id", "span_class", "first_start", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_events_updated_by_id"), "events", ["updated_by_id"], unique=False
    )
    op.create_table(
        "event_email_invites",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("email", sa.String(length=255), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_event_email_invites_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_email_invites_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", "email", name="pk_event_email_invites"),
    )
    op.create_index(
        op.f("ix_event_email_invites_created_by_id"),
        "event_email_invites",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_event_email_invites_email"),
        "event_email_invites",
        ["email"],
        unique=False,
    )
    op.create_table(
        "event_exceptions",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("original_starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=255), nullable=True),
        sa.Column("description", sa.String(length=4096), nullable=True),
        sa.Column("is_all_day", sa.Boolean(), nullable=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("starts_at_tz", sa.String(length=64), nullable=True),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ends_at_tz", sa.String(length=64), nullable=True),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Uuid(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_event_exceptions_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_exceptions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_event_exceptions_updated_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_exceptions")),
        sa.UniqueConstraint(
            "event_id",
            "original_starts_at",
            name="uq_event_exceptions_event_id_original_starts_at",
        ),
    )
    op.create_index(
        op.f("ix_event_exceptions_created_by_id"),
        "event_exceptions",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_event_exceptions_updated_by_id"),
        "event_exceptions",
        ["updated_by_id"],
        unique=False,
    )
    op.create_table(
        "event_favorites",
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_favorites_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_event_favorites_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "event_id", name="pk_event_favorites"),
    )
    op.create_index(
        op.f("ix_event_favorites_event_id"),
        "event_favorites",
        ["event_id"],
        unique=False,
    )
    op.create_table(
        "event_invites",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("invitee_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("span_class", sa.SmallInteger(), nullable=False),
        sa.Column("event_created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_event_invites_created_by_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_invites_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["invitee_id"],
            ["users.id"],
            name=op.f("fk_event_invites_invitee_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_invites")),
        sa.UniqueConstraint(
            "event_id", "invitee_id", name="uq_event_invites_event_id_invitee_id"
        ),
    )
    op.create_index(
        op.f("ix_event_invites_created_by_id"),
        "event_invites",
        ["created_by_id"],
        unique=False,
    )
    op.create_index(
        "ix_event_invites_listing",
        "event_invites",
        ["invitee_id", "span_class", "first_start", "event_created_at", "event_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_event_invites_listing", table_name="event_invites")
    op.drop_index(op.f("ix_event_invites_created_by_id"), table_name="event_invites")
    op.drop_table("event_invites")
    op.drop_index(op.f("ix_event_favorites_event_id"), table_name="event_favorites")
    op.drop_table("event_favorites")
    op.drop_index(
        op.f("ix_event_exceptions_updated_by_id"), table_name="event_exceptions"
    )
    op.drop_index(
        op.f("ix_event_exceptions_created_by_id"), table_name="event_exceptions"
    )
    op.drop_table("event_exceptions")
    op.drop_index(
        op.f("ix_event_email_invites_email"), table_name="event_email_invites"
    )
    op.drop_index(
        op.f("ix_event_email_invites_created_by_id"), table_name="event_email_invites"
    )
    op.drop_table("event_email_invites")
    op.drop_index(op.f("ix_events_updated_by_id"), table_name="events")
    op.drop_index("ix_events_listing", table_name="events")
    op.drop_table("events")
