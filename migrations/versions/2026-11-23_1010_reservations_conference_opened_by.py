"""Reservations record who opened their running conference (Prosody's mail_owner).

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23 10:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
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
