"""stored results: each submitted attempt's item and objective results, so reports never regrade

Attempts submitted before this revision are not graded here (a migration should not need the course
content): the instructor report stores their results once, the first time it is read
(`lti_app.services.results.backfill`), and marks each with `attempts.results_at`.

Revision ID: 0006_stored_results
Revises: 0005_mastery_evidence
Create Date: 2026-12-02 15:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_stored_results"
down_revision = "0005_mastery_evidence"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("results_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "attempt_item_results",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=100), nullable=False),
        sa.Column("slot", sa.String(length=120), nullable=False),
        sa.Column("is_correct", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("attempt_id", "item_id"),
    )
    op.create_table(
        "attempt_objective_results",
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("objective", sa.String(length=100), nullable=False),
        sa.Column("correct", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("mastery", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["attempt_id"], ["attempts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("attempt_id", "objective"),
    )


def downgrade() -> None:
    op.drop_table("attempt_objective_results")
    op.drop_table("attempt_item_results")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("results_at")
