"""learner flags and link policy: "mark for review" per attempt, rationale policy and extra time per link

Revision ID: 0007_flags_link_policy
Revises: 0006_stored_results
Create Date: 2026-12-02 15:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_flags_link_policy"
down_revision = "0006_stored_results"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("attempts", sa.Column("flagged", sa.JSON(), nullable=True))
    op.create_table(
        "link_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=500), nullable=False),
        sa.Column("resource_link_id", sa.String(length=500), nullable=False),
        sa.Column("rationales", sa.String(length=20), nullable=False),
        sa.Column("rationales_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("platform_id", "deployment_id", "resource_link_id", name="uq_link_policy"),
    )
    op.create_table(
        "accommodations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("platform_id", sa.Integer(), nullable=False),
        sa.Column("deployment_id", sa.String(length=500), nullable=False),
        sa.Column("resource_link_id", sa.String(length=500), nullable=False),
        sa.Column("user_sub", sa.String(length=500), nullable=False),
        sa.Column("extra_minutes", sa.Integer(), nullable=False),
        sa.Column("time_factor", sa.Float(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["platform_id"], ["platforms.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "platform_id", "deployment_id", "resource_link_id", "user_sub", name="uq_accommodation"
        ),
    )


def downgrade() -> None:
    op.drop_table("accommodations")
    op.drop_table("link_policies")
    op.drop_column("attempts", "flagged")
