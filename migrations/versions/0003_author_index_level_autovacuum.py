"""edits by author and item, the review queue index, the minimality level as a generated column, autovacuum

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 01:20:00
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The level of the minimality verdict that every save stores in `stats`, read by the database itself on
# write (PostgreSQL) or on read (SQLite, which adds only virtual generated columns to a table).
LEVEL = {
    'postgresql': "(stats -> 'minimality' ->> 'level')",
    'sqlite': "json_extract(stats, '$.minimality.level')",
}
# Leases are written and deleted all day and items change state with every submit: vacuum and analyze
# them after a fixed number of changes instead of a share of the table, so that dead rows and stale
# statistics do not pile up between autovacuum's rounds.
AUTOVACUUM = {
    'leases': 'autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 1000',
    'items': 'autovacuum_analyze_scale_factor = 0, autovacuum_analyze_threshold = 1000, '
             'autovacuum_vacuum_scale_factor = 0.02',
    # Room on each page for a draft's next version: an autosave changes no indexed column, so with space
    # beside the row PostgreSQL writes it as a heap-only tuple, without a new entry in every edits index.
    'edits': 'autovacuum_analyze_scale_factor = 0.02, autovacuum_vacuum_scale_factor = 0.02, fillfactor = 70',
}


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    # Leasing skips the items where the annotator already has a finished edit: by author first, that is a
    # look-up of their own edits, not a walk over every edit of the dataset. It covers author look-ups too.
    op.create_index('ix_edits_author_item', 'edits', ['author_id', 'item_id'], unique=False)
    op.drop_index('ix_edits_author_id', table_name='edits')
    # The review queue: submitted edits, oldest first; reviewers poll it, and a page reads the first 100.
    op.create_index('ix_edits_review_queue', 'edits', ['submitted_at', 'id'], unique=False,
                    postgresql_where=sa.text("status = 'submitted'"), sqlite_where=sa.text("status = 'submitted'"))
    op.add_column('edits', sa.Column('minimality_level', sa.String(length=8),
                                     sa.Computed(LEVEL[dialect], persisted=dialect != 'sqlite'), nullable=True))
    if dialect == 'postgresql':
        for table, settings in AUTOVACUUM.items():
            op.execute(f'ALTER TABLE {table} SET ({settings})')


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        for table, settings in AUTOVACUUM.items():
            names = ', '.join(part.split('=')[0].strip() for part in settings.split(','))
            op.execute(f'ALTER TABLE {table} RESET ({names})')
    op.drop_column('edits', 'minimality_level')
    op.drop_index('ix_edits_review_queue', table_name='edits')
    op.create_index('ix_edits_author_id', 'edits', ['author_id'], unique=False)
    op.drop_index('ix_edits_author_item', table_name='edits')
