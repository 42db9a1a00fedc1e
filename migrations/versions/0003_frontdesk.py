"""frontdesk: calls, visits, faxes and staff requests

Revision ID: 0003
Revises: 0001
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.models.types  # noqa: F401  (custom column types)

revision = "0003"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('frontdesk_call',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('caller_name', sa.String(length=160), nullable=False),
    sa.Column('company', sa.String(length=160), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('for_user_id', sa.Integer(), nullable=True),
    sa.Column('transferred_to_id', sa.Integer(), nullable=True),
    sa.Column('recipient_id', sa.Integer(), nullable=True),
    sa.Column('message', sa.Text(), nullable=True),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('callback_due_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reminder_sent_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('returned_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('return_note', sa.String(length=1000), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['for_user_id'], ['user_account.id'], name=op.f('fk_frontdesk_call_for_user_id_user_account')),
    sa.ForeignKeyConstraint(['logged_by_id'], ['user_account.id'], name=op.f('fk_frontdesk_call_logged_by_id_user_account')),
    sa.ForeignKeyConstraint(['recipient_id'], ['user_account.id'], name=op.f('fk_frontdesk_call_recipient_id_user_account')),
    sa.ForeignKeyConstraint(['transferred_to_id'], ['user_account.id'], name=op.f('fk_frontdesk_call_transferred_to_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frontdesk_call'))
    )
    with op.batch_alter_table('frontdesk_call', schema=None) as batch_op:
        batch_op.create_index('ix_frontdesk_call_created', ['created_at'], unique=False)
        batch_op.create_index('ix_frontdesk_call_phone_created', ['phone', 'created_at'], unique=False)
        batch_op.create_index('ix_frontdesk_call_recipient_status', ['recipient_id', 'status', 'created_at'], unique=False)
        batch_op.create_index('ix_frontdesk_call_status_due', ['status', 'callback_due_at'], unique=False)

    op.create_table('frontdesk_fax',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=3), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=True),
    sa.Column('correspondent', sa.String(length=160), nullable=False),
    sa.Column('pages', sa.Integer(), nullable=False),
    sa.Column('for_user_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stored_name', sa.String(length=64), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=True),
    sa.Column('size_bytes', sa.Integer(), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['for_user_id'], ['user_account.id'], name=op.f('fk_frontdesk_fax_for_user_id_user_account')),
    sa.ForeignKeyConstraint(['logged_by_id'], ['user_account.id'], name=op.f('fk_frontdesk_fax_logged_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frontdesk_fax'))
    )
    with op.batch_alter_table('frontdesk_fax', schema=None) as batch_op:
        batch_op.create_index('ix_frontdesk_fax_created', ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_frontdesk_fax_for_user_id'), ['for_user_id'], unique=False)

    op.create_table('frontdesk_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('priority', sa.String(length=8), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('triaged_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['assignee_id'], ['user_account.id'], name=op.f('fk_frontdesk_request_assignee_id_user_account')),
    sa.ForeignKeyConstraint(['requester_id'], ['user_account.id'], name=op.f('fk_frontdesk_request_requester_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frontdesk_request'))
    )
    with op.batch_alter_table('frontdesk_request', schema=None) as batch_op:
        batch_op.create_index('ix_frontdesk_request_requester', ['requester_id', 'created_at'], unique=False)
        batch_op.create_index('ix_frontdesk_request_status', ['status', 'created_at'], unique=False)

    op.create_table('frontdesk_visit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('visitor_name', sa.String(length=160), nullable=False),
    sa.Column('company', sa.String(length=160), nullable=True),
    sa.Column('host_id', sa.Integer(), nullable=True),
    sa.Column('badge_number', sa.String(length=32), nullable=True),
    sa.Column('arrived_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('left_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('logged_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['host_id'], ['user_account.id'], name=op.f('fk_frontdesk_visit_host_id_user_account')),
    sa.ForeignKeyConstraint(['logged_by_id'], ['user_account.id'], name=op.f('fk_frontdesk_visit_logged_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frontdesk_visit'))
    )
    with op.batch_alter_table('frontdesk_visit', schema=None) as batch_op:
        batch_op.create_index('ix_frontdesk_visit_arrived', ['arrived_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_frontdesk_visit_host_id'), ['host_id'], unique=False)
        batch_op.create_index('ix_frontdesk_visit_left_arrived', ['left_at', 'arrived_at'], unique=False)

    op.create_table('frontdesk_request_comment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['user_account.id'], name=op.f('fk_frontdesk_request_comment_author_id_user_account')),
    sa.ForeignKeyConstraint(['request_id'], ['frontdesk_request.id'], name=op.f('fk_frontdesk_request_comment_request_id_frontdesk_request'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_frontdesk_request_comment'))
    )
    with op.batch_alter_table('frontdesk_request_comment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_frontdesk_request_comment_request_id'), ['request_id'], unique=False)



def downgrade():
    with op.batch_alter_table('frontdesk_request_comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frontdesk_request_comment_request_id'))

    op.drop_table('frontdesk_request_comment')
    with op.batch_alter_table('frontdesk_visit', schema=None) as batch_op:
        batch_op.drop_index('ix_frontdesk_visit_left_arrived')
        batch_op.drop_index(batch_op.f('ix_frontdesk_visit_host_id'))
        batch_op.drop_index('ix_frontdesk_visit_arrived')

    op.drop_table('frontdesk_visit')
    with op.batch_alter_table('frontdesk_request', schema=None) as batch_op:
        batch_op.drop_index('ix_frontdesk_request_status')
        batch_op.drop_index('ix_frontdesk_request_requester')

    op.drop_table('frontdesk_request')
    with op.batch_alter_table('frontdesk_fax', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_frontdesk_fax_for_user_id'))
        batch_op.drop_index('ix_frontdesk_fax_created')

    op.drop_table('frontdesk_fax')
    with op.batch_alter_table('frontdesk_call', schema=None) as batch_op:
        batch_op.drop_index('ix_frontdesk_call_status_due')
        batch_op.drop_index('ix_frontdesk_call_recipient_status')
        batch_op.drop_index('ix_frontdesk_call_phone_created')
        batch_op.drop_index('ix_frontdesk_call_created')

    op.drop_table('frontdesk_call')
