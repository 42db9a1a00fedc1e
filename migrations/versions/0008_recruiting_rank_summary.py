"""recruiting: recruiting_application.rank_summary, the compact evidence the ranked list prints

Filled for existing applications from their evidence (the same transformation as
portal.models.recruiting.summarise_evidence, copied here so the migration does not change when
the model does).

Revision ID: 0008
Revises: 0007
"""

from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def _summary(evidence):
    ev = evidence or {}
    return {
        "must": [
            [
                m.get("name"),
                m.get("matched") if m.get("matched") != m.get("name") else None,
                m.get("snippet") or "",
            ]
            for m in ev.get("must", ())
        ],
        "missing": list(ev.get("missing", ())),
        "nice": [[m.get("name"), m.get("weight", 1)] for m in ev.get("nice", ())],
    }


def upgrade():
    with op.batch_alter_table("recruiting_application", schema=None) as batch_op:
        batch_op.add_column(sa.Column("rank_summary", sa.JSON(), nullable=True))
    applications = sa.table(
        "recruiting_application",
        sa.column("id", sa.Integer()),
        sa.column("evidence", sa.JSON()),
        sa.column("rank_summary", sa.JSON()),
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(applications.c.id, applications.c.evidence)
            .where(applications.c.id > last)
            .order_by(applications.c.id)
            .limit(1000)
        ).all()
        if not rows:
            break
        bind.execute(
            applications.update()
            .where(applications.c.id == sa.bindparam("row_id"))
            .values(rank_summary=sa.bindparam("summary")),
            [{"row_id": r.id, "summary": _summary(r.evidence)} for r in rows],
        )
        last = rows[-1].id


def downgrade():
    with op.batch_alter_table("recruiting_application", schema=None) as batch_op:
        batch_op.drop_column("rank_summary")
