"""people: employee records moved from recruiting, history, documents, invitations,
checklists, training, discipline, terminations, data-subject requests (issue 13)

``recruiting_employee`` becomes ``people_employee``: its rows are copied (same ids) with the new
columns at their defaults and the search key folded; the downgrade copies them back.

Revision ID: 0012_people
Revises: 0011_equipment
"""

import unicodedata

import sqlalchemy as sa
from alembic import op

import portal.models.types

revision = "0012_people"
down_revision = "0011_equipment"
branch_labels = None
depends_on = None


def _fold(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).lower().split())


def _reset_sequence(table: str) -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
        )


def _copy_employees_up() -> None:
    bind = op.get_bind()
    rows = (
        bind.execute(
            sa.text(
                "SELECT e.id, e.application_id, e.name, e.email, e.phone, e.position, "
                "e.department_id, e.start_date, e.created_at, d.name AS department "
                "FROM recruiting_employee e LEFT JOIN department d ON d.id = e.department_id"
            )
        )
        .mappings()
        .all()
    )
    insert = sa.text(
        "INSERT INTO people_employee (id, application_id, name, email, phone, position, "
        "department_id, start_date, created_at, updated_at, contract_type, working_hours, "
        "status, search_key) VALUES (:id, :application_id, :name, :email, :phone, :position, "
        ":department_id, :start_date, :created_at, :created_at, 'clt', '', 'active', :key)"
    )
    for row in rows:
        key = _fold(" ".join(p for p in (row["name"], row["position"], row["department"]) if p))
        bind.execute(insert, {**row, "key": key[:600]})
    _reset_sequence("people_employee")


def _copy_employees_down() -> None:
    op.execute(
        "INSERT INTO recruiting_employee (id, application_id, name, email, phone, position, "
        "department_id, start_date, created_at) SELECT id, application_id, name, email, phone, "
        "position, department_id, start_date, created_at FROM people_employee"
    )
    _reset_sequence("recruiting_employee")


def upgrade():
    op.create_table(
        "people_course",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=160), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("external", sa.Boolean(), nullable=False),
        sa.Column("mandatory", sa.Boolean(), nullable=False),
        sa.Column("validity_months", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_course")),
    )
    op.create_table(
        "people_checklist_template",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("position", sa.String(length=160), nullable=True),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_people_checklist_template_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_checklist_template")),
    )
    op.create_table(
        "people_training_session",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("course_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=160), nullable=False),
        sa.Column("trainer", sa.String(length=160), nullable=False),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["course_id"],
            ["people_course.id"],
            name=op.f("fk_people_training_session_course_id_people_course"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_training_session")),
    )
    with op.batch_alter_table("people_training_session", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_training_session_course_id"), ["course_id"], unique=False
        )

    op.create_table(
        "people_invitation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("expires_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", portal.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["user_account.id"],
            name=op.f("fk_people_invitation_created_by_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_people_invitation_user_id_user_account"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_invitation")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_people_invitation_token_hash")),
    )
    with op.batch_alter_table("people_invitation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_people_invitation_user_id"), ["user_id"], unique=False)

    op.create_table(
        "people_employee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("preferred_name", sa.String(length=80), nullable=True),
        sa.Column("cpf", sa.String(length=11), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("emergency_contact", sa.String(length=200), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("position", sa.String(length=160), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("manager_id", sa.Integer(), nullable=True),
        sa.Column("contract_type", sa.String(length=16), nullable=False),
        sa.Column("working_hours", sa.String(length=120), nullable=False),
        sa.Column("salary", sa.Numeric(precision=12, scale=2), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=True),
        sa.Column("search_key", sa.String(length=600), nullable=False),
        sa.Column("anonymised_at", portal.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["recruiting_application.id"],
            name=op.f("fk_people_employee_application_id_recruiting_application"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_people_employee_department_id_department"),
        ),
        sa.ForeignKeyConstraint(
            ["manager_id"],
            ["user_account.id"],
            name=op.f("fk_people_employee_manager_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user_account.id"],
            name=op.f("fk_people_employee_user_id_user_account"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_employee")),
        sa.UniqueConstraint("application_id", name=op.f("uq_people_employee_application_id")),
        sa.UniqueConstraint("cpf", name=op.f("uq_people_employee_cpf")),
        sa.UniqueConstraint("user_id", name=op.f("uq_people_employee_user_id")),
    )
    with op.batch_alter_table("people_employee", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_employee_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_people_employee_manager_id"), ["manager_id"], unique=False
        )
        batch_op.create_index("ix_people_employee_start", ["start_date", "id"], unique=False)
        batch_op.create_index("ix_people_employee_status_name", ["status", "name"], unique=False)

    op.create_table(
        "people_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=True),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_attendance_employee_id_people_employee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["people_training_session.id"],
            name=op.f("fk_people_attendance_session_id_people_training_session"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_attendance")),
        sa.UniqueConstraint(
            "session_id", "employee_id", name=op.f("uq_people_attendance_session_id")
        ),
    )
    with op.batch_alter_table("people_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_attendance_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_people_attendance_expires_on"), ["expires_on"], unique=False
        )

    op.create_table(
        "people_data_request",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_data_request_employee_id_people_employee"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["user_account.id"],
            name=op.f("fk_people_data_request_requested_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_data_request")),
    )
    with op.batch_alter_table("people_data_request", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_data_request_employee_id"), ["employee_id"], unique=False
        )

    op.create_table(
        "people_document",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("original_name", sa.String(length=160), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("content_type", sa.String(length=120), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_document_employee_id_people_employee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["user_account.id"],
            name=op.f("fk_people_document_uploaded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_document")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_people_document_stored_name")),
    )
    with op.batch_alter_table("people_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_document_employee_id"), ["employee_id"], unique=False
        )

    op.create_table(
        "people_employee_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=32), nullable=False),
        sa.Column("old_value", sa.String(length=300), nullable=True),
        sa.Column("new_value", sa.String(length=300), nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["user_account.id"],
            name=op.f("fk_people_employee_change_actor_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_employee_change_employee_id_people_employee"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_employee_change")),
    )
    with op.batch_alter_table("people_employee_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_people_employee_change_employee", ["employee_id", "at"], unique=False
        )

    op.create_table(
        "people_task",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("done_at", portal.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("done_by_id", sa.Integer(), nullable=True),
        sa.Column("reminded_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["assignee_id"],
            ["user_account.id"],
            name=op.f("fk_people_task_assignee_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["done_by_id"], ["user_account.id"], name=op.f("fk_people_task_done_by_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_task_employee_id_people_employee"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_task")),
    )
    with op.batch_alter_table("people_task", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_people_task_assignee_id"), ["assignee_id"], unique=False
        )
        batch_op.create_index(
            "ix_people_task_employee", ["employee_id", "kind", "position"], unique=False
        )
        batch_op.create_index("ix_people_task_open_due", ["done_at", "due_on"], unique=False)

    op.create_table(
        "people_termination",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("notice_on", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("handover_to_id", sa.Integer(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "account_closed_at", portal.models.types.UTCDateTime(timezone=True), nullable=True
        ),
        sa.CheckConstraint(
            "last_day >= notice_on", name=op.f("ck_people_termination_last_day_after_notice")
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_termination_employee_id_people_employee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["handover_to_id"],
            ["user_account.id"],
            name=op.f("fk_people_termination_handover_to_id_user_account"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["user_account.id"],
            name=op.f("fk_people_termination_recorded_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_termination")),
    )
    with op.batch_alter_table("people_termination", schema=None) as batch_op:
        batch_op.create_index(
            "ix_people_termination_due", ["account_closed_at", "last_day"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_people_termination_employee_id"), ["employee_id"], unique=False
        )

    op.create_table(
        "people_warning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=16), nullable=False),
        sa.Column("suspension_days", sa.Integer(), nullable=True),
        sa.Column("facts", sa.Text(), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("policy", sa.String(length=200), nullable=False),
        sa.Column("witness", sa.String(length=160), nullable=False),
        sa.Column("lapses_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("acknowledged_at", portal.models.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("refusal_witness", sa.String(length=160), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level != 'suspension' OR (suspension_days IS NOT NULL AND suspension_days > 0)",
            name=op.f("ck_people_warning_suspension_has_days"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["people_employee.id"],
            name=op.f("fk_people_warning_employee_id_people_employee"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"],
            ["user_account.id"],
            name=op.f("fk_people_warning_issued_by_id_user_account"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people_warning")),
    )
    with op.batch_alter_table("people_warning", schema=None) as batch_op:
        batch_op.create_index(
            "ix_people_warning_employee", ["employee_id", "occurred_on"], unique=False
        )

    _copy_employees_up()
    op.drop_table("recruiting_employee")


def downgrade():
    op.create_table(
        "recruiting_employee",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=160), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("position", sa.String(length=160), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("created_at", portal.models.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["recruiting_application.id"],
            name=op.f("fk_recruiting_employee_application_id_recruiting_application"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_recruiting_employee_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recruiting_employee")),
        sa.UniqueConstraint("application_id", name=op.f("uq_recruiting_employee_application_id")),
    )
    _copy_employees_down()
    with op.batch_alter_table("people_warning", schema=None) as batch_op:
        batch_op.drop_index("ix_people_warning_employee")

    op.drop_table("people_warning")
    with op.batch_alter_table("people_termination", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_termination_employee_id"))
        batch_op.drop_index("ix_people_termination_due")

    op.drop_table("people_termination")
    with op.batch_alter_table("people_task", schema=None) as batch_op:
        batch_op.drop_index("ix_people_task_open_due")
        batch_op.drop_index("ix_people_task_employee")
        batch_op.drop_index(batch_op.f("ix_people_task_assignee_id"))

    op.drop_table("people_task")
    with op.batch_alter_table("people_employee_change", schema=None) as batch_op:
        batch_op.drop_index("ix_people_employee_change_employee")

    op.drop_table("people_employee_change")
    with op.batch_alter_table("people_document", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_document_employee_id"))

    op.drop_table("people_document")
    with op.batch_alter_table("people_data_request", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_data_request_employee_id"))

    op.drop_table("people_data_request")
    with op.batch_alter_table("people_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_attendance_expires_on"))
        batch_op.drop_index(batch_op.f("ix_people_attendance_employee_id"))

    op.drop_table("people_attendance")
    with op.batch_alter_table("people_employee", schema=None) as batch_op:
        batch_op.drop_index("ix_people_employee_status_name")
        batch_op.drop_index("ix_people_employee_start")
        batch_op.drop_index(batch_op.f("ix_people_employee_manager_id"))
        batch_op.drop_index(batch_op.f("ix_people_employee_department_id"))

    op.drop_table("people_employee")
    with op.batch_alter_table("people_invitation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_invitation_user_id"))

    op.drop_table("people_invitation")
    with op.batch_alter_table("people_training_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_people_training_session_course_id"))

    op.drop_table("people_training_session")
    op.drop_table("people_checklist_template")
    op.drop_table("people_course")
