"""recruiting: openings, candidates, applications, CV files, interviews, slots, scorecards, employees

Revision ID: 0005
Revises: 0004
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.models.types  # noqa: F401  (custom column types)

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('recruiting_candidate',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('locale', sa.String(length=10), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_candidate'))
    )
    with op.batch_alter_table('recruiting_candidate', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_candidate_email'), ['email'], unique=False)
        batch_op.create_index(batch_op.f('ix_recruiting_candidate_phone'), ['phone'], unique=False)
    op.create_table('recruiting_opening',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=160), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requirements', sa.JSON(), nullable=False),
    sa.Column('min_years', sa.Integer(), nullable=False),
    sa.Column('languages', sa.String(length=200), nullable=False),
    sa.Column('location', sa.String(length=160), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('hiring_manager_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_recruiting_opening_department_id_department')),
    sa.ForeignKeyConstraint(['hiring_manager_id'], ['user_account.id'], name=op.f('fk_recruiting_opening_hiring_manager_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_opening'))
    )
    with op.batch_alter_table('recruiting_opening', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_opening_department_id'), ['department_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recruiting_opening_status'), ['status'], unique=False)
    op.create_table('recruiting_working_hours',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('start_minute', sa.Integer(), nullable=False),
    sa.Column('end_minute', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recruiting_working_hours_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_working_hours')),
    sa.UniqueConstraint('user_id', 'weekday', name=op.f('uq_recruiting_working_hours_user_id'))
    )
    op.create_table('recruiting_application',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('stage_reason', sa.String(length=300), nullable=True),
    sa.Column('score', sa.Integer(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('missing_must', sa.String(length=1000), nullable=False),
    sa.Column('years', sa.Double(), nullable=False),
    sa.Column('duplicate_of_id', sa.Integer(), nullable=True),
    sa.Column('duplicate_state', sa.String(length=16), nullable=True),
    sa.Column('cv_text', sa.Text(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['candidate_id'], ['recruiting_candidate.id'], name=op.f('fk_recruiting_application_candidate_id_recruiting_candidate'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['duplicate_of_id'], ['recruiting_candidate.id'], name=op.f('fk_recruiting_application_duplicate_of_id_recruiting_candidate'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opening_id'], ['recruiting_opening.id'], name=op.f('fk_recruiting_application_opening_id_recruiting_opening'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_application'))
    )
    with op.batch_alter_table('recruiting_application', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_application_candidate_id'), ['candidate_id'], unique=False)
        batch_op.create_index('ix_recruiting_application_opening_stage', ['opening_id', 'stage'], unique=False)
        batch_op.create_index('ix_recruiting_application_rank', ['opening_id', 'score', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recruiting_application_stage'), ['stage'], unique=False)
    op.create_table('recruiting_opening_interviewer',
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['opening_id'], ['recruiting_opening.id'], name=op.f('fk_recruiting_opening_interviewer_opening_id_recruiting_opening'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recruiting_opening_interviewer_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('opening_id', 'user_id', name=op.f('pk_recruiting_opening_interviewer'))
    )
    op.create_table('recruiting_booking_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('expires_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['recruiting_application.id'], name=op.f('fk_recruiting_booking_token_application_id_recruiting_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['user_account.id'], name=op.f('fk_recruiting_booking_token_created_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_booking_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_recruiting_booking_token_token_hash'))
    )
    with op.batch_alter_table('recruiting_booking_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_booking_token_application_id'), ['application_id'], unique=False)
    op.create_table('recruiting_cv_file',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('batch', sa.String(length=32), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('original_name', sa.String(length=160), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('content_type', sa.String(length=120), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('processed_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['application_id'], ['recruiting_application.id'], name=op.f('fk_recruiting_cv_file_application_id_recruiting_application'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opening_id'], ['recruiting_opening.id'], name=op.f('fk_recruiting_cv_file_opening_id_recruiting_opening'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_recruiting_cv_file_uploaded_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_cv_file')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_recruiting_cv_file_stored_name'))
    )
    with op.batch_alter_table('recruiting_cv_file', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_cv_file_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_recruiting_cv_file_batch'), ['batch'], unique=False)
        batch_op.create_index(batch_op.f('ix_recruiting_cv_file_opening_id'), ['opening_id'], unique=False)
    op.create_table('recruiting_employee',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('position', sa.String(length=160), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['recruiting_application.id'], name=op.f('fk_recruiting_employee_application_id_recruiting_application'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_recruiting_employee_department_id_department')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_employee')),
    sa.UniqueConstraint('application_id', name=op.f('uq_recruiting_employee_application_id'))
    )
    op.create_table('recruiting_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_recruiting_event_actor_id_user_account')),
    sa.ForeignKeyConstraint(['application_id'], ['recruiting_application.id'], name=op.f('fk_recruiting_event_application_id_recruiting_application'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_event'))
    )
    with op.batch_alter_table('recruiting_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_event_application_id'), ['application_id'], unique=False)
    op.create_table('recruiting_slot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('opening_id', sa.Integer(), nullable=False),
    sa.Column('start_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['recruiting_application.id'], name=op.f('fk_recruiting_slot_application_id_recruiting_application'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['opening_id'], ['recruiting_opening.id'], name=op.f('fk_recruiting_slot_opening_id_recruiting_opening'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_slot')),
    sa.UniqueConstraint('application_id', name=op.f('uq_recruiting_slot_application_id'))
    )
    with op.batch_alter_table('recruiting_slot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_slot_opening_id'), ['opening_id'], unique=False)
    op.create_table('recruiting_interview',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('uid', sa.String(length=200), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('start_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('end_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('location', sa.String(length=200), nullable=False),
    sa.Column('organizer_id', sa.Integer(), nullable=True),
    sa.Column('slot_id', sa.Integer(), nullable=True),
    sa.Column('reminder_sent_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['recruiting_application.id'], name=op.f('fk_recruiting_interview_application_id_recruiting_application'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['organizer_id'], ['user_account.id'], name=op.f('fk_recruiting_interview_organizer_id_user_account')),
    sa.ForeignKeyConstraint(['slot_id'], ['recruiting_slot.id'], name=op.f('fk_recruiting_interview_slot_id_recruiting_slot'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_interview')),
    sa.UniqueConstraint('slot_id', name=op.f('uq_recruiting_interview_slot_id')),
    sa.UniqueConstraint('uid', name=op.f('uq_recruiting_interview_uid'))
    )
    with op.batch_alter_table('recruiting_interview', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_interview_application_id'), ['application_id'], unique=False)
        batch_op.create_index('ix_recruiting_interview_start', ['status', 'start_at'], unique=False)
    op.create_table('recruiting_interview_interviewer',
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['recruiting_interview.id'], name=op.f('fk_recruiting_interview_interviewer_interview_id_recruiting_interview'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_recruiting_interview_interviewer_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('interview_id', 'user_id', name=op.f('pk_recruiting_interview_interviewer'))
    )
    with op.batch_alter_table('recruiting_interview_interviewer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_interview_interviewer_user_id'), ['user_id'], unique=False)
    op.create_table('recruiting_scorecard',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('interview_id', sa.Integer(), nullable=False),
    sa.Column('interviewer_id', sa.Integer(), nullable=False),
    sa.Column('ratings', sa.JSON(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recommendation', sa.String(length=16), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['interview_id'], ['recruiting_interview.id'], name=op.f('fk_recruiting_scorecard_interview_id_recruiting_interview'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['interviewer_id'], ['user_account.id'], name=op.f('fk_recruiting_scorecard_interviewer_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recruiting_scorecard')),
    sa.UniqueConstraint('interview_id', 'interviewer_id', name=op.f('uq_recruiting_scorecard_interview_id'))
    )
    with op.batch_alter_table('recruiting_scorecard', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_recruiting_scorecard_interview_id'), ['interview_id'], unique=False)

    # ### end Alembic commands ###


def downgrade():
    with op.batch_alter_table('recruiting_scorecard', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_scorecard_interview_id'))
    op.drop_table('recruiting_scorecard')
    with op.batch_alter_table('recruiting_interview_interviewer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_interview_interviewer_user_id'))
    op.drop_table('recruiting_interview_interviewer')
    with op.batch_alter_table('recruiting_interview', schema=None) as batch_op:
        batch_op.drop_index('ix_recruiting_interview_start')
        batch_op.drop_index(batch_op.f('ix_recruiting_interview_application_id'))
    op.drop_table('recruiting_interview')
    with op.batch_alter_table('recruiting_slot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_slot_opening_id'))
    op.drop_table('recruiting_slot')
    with op.batch_alter_table('recruiting_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_event_application_id'))
    op.drop_table('recruiting_event')
    op.drop_table('recruiting_employee')
    with op.batch_alter_table('recruiting_cv_file', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_cv_file_opening_id'))
        batch_op.drop_index(batch_op.f('ix_recruiting_cv_file_batch'))
        batch_op.drop_index(batch_op.f('ix_recruiting_cv_file_application_id'))
    op.drop_table('recruiting_cv_file')
    with op.batch_alter_table('recruiting_booking_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_booking_token_application_id'))
    op.drop_table('recruiting_booking_token')
    op.drop_table('recruiting_opening_interviewer')
    with op.batch_alter_table('recruiting_application', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_application_stage'))
        batch_op.drop_index('ix_recruiting_application_rank')
        batch_op.drop_index('ix_recruiting_application_opening_stage')
        batch_op.drop_index(batch_op.f('ix_recruiting_application_candidate_id'))
    op.drop_table('recruiting_application')
    op.drop_table('recruiting_working_hours')
    with op.batch_alter_table('recruiting_opening', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_opening_status'))
        batch_op.drop_index(batch_op.f('ix_recruiting_opening_department_id'))
    op.drop_table('recruiting_opening')
    with op.batch_alter_table('recruiting_candidate', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_recruiting_candidate_phone'))
        batch_op.drop_index(batch_op.f('ix_recruiting_candidate_email'))
    op.drop_table('recruiting_candidate')
    # ### end Alembic commands ###
