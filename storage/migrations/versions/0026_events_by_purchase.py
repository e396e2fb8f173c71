"""events by purchase: a purchase's events of one kind found by an index, not a scan of the
month the log keeps (who the head took out for not paying is read so, on an editor's redraw)

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-07 15:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_domain_events_purchase_id_kind", "domain_events", ["purchase_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_domain_events_purchase_id_kind", table_name="domain_events")
