"""partial indexes: open items in queue order, one draft per item and author

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 20:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Leasing scans a dataset's open items in id order; finished items no longer sit in its way.
    op.create_index('ix_items_open_queue', 'items', ['dataset_id', 'id'], unique=False,
                    postgresql_where=sa.text("state = 'open'"), sqlite_where=sa.text("state = 'open'"))
    # One working draft per item and author, as the save path has always kept it; now the database holds
    # it too, so a first save can be written without the item lock (model drafts have no author).
    op.create_index('uq_edits_one_draft', 'edits', ['item_id', 'author_id'], unique=True,
                    postgresql_where=sa.text("status = 'draft'"), sqlite_where=sa.text("status = 'draft'"))


def downgrade() -> None:
    op.drop_index('uq_edits_one_draft', table_name='edits')
    op.drop_index('ix_items_open_queue', table_name='items')
