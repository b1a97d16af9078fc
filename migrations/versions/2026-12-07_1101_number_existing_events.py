"""Give every existing event its EasyCalendar meeting number (data, issue 11).

New events get theirs when they are created; events from before this revision
are numbered here, oldest first.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 11:01:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(
        "INSERT INTO easycalendar_meetings (event_id, google_calendar_log) "
        "SELECT id, false FROM events "
        "WHERE id NOT IN (SELECT event_id FROM easycalendar_meetings) "
        "ORDER BY created_at, id"
    )


def downgrade() -> None:
    # The numbers go with the table (0030); nothing to undo here.
    pass
