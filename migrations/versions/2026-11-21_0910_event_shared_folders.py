"""event shared folders (issue 7): one folder per event with two links

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-22 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "event_shared_folders",
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("read_share_id", sa.String(length=255), nullable=False),
        sa.Column("read_url", sa.String(length=2048), nullable=False),
        sa.Column("read_password", sa.String(length=255), nullable=False),
        sa.Column("write_share_id", sa.String(length=255), nullable=False),
        sa.Column("write_url", sa.String(length=2048), nullable=False),
        sa.Column("write_password", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_shared_folders_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_shared_folders")),
    )


def downgrade() -> None:
    op.drop_table("event_shared_folders")
