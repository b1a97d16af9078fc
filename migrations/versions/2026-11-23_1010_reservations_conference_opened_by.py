"""Reservations record who opened their running conference (Prosody's mail_owner).

Revision ID: c0011_conference_opened_by
Revises: c0010_show_meeting_details
Create Date: 2026-11-23 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c0011_conference_opened_by"
down_revision: str | Sequence[str] | None = "c0010_show_meeting_details"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "reservations",
        sa.Column("conference_opened_by", sa.String(length=255), nullable=True),
    )


def downgrade() -> None:
    with op.batch_alter_table("reservations") as batch:
        batch.drop_column("conference_opened_by")
