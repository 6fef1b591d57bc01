"""mastery evidence: how many answers each objective's mastery in a snapshot rests on

Revision ID: 0005_mastery_evidence
Revises: 0004_registration_invites
Create Date: 2026-12-02 15:20:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_mastery_evidence"
down_revision = "0004_registration_invites"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: a snapshot taken before this revision rests on an unknown amount of evidence, read as
    # courseware.mastery.UNKNOWN_EVIDENCE answers per objective.
    with op.batch_alter_table("mastery_snapshots", schema=None) as batch_op:
        batch_op.add_column(sa.Column("evidence", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("mastery_snapshots", schema=None) as batch_op:
        batch_op.drop_column("evidence")
