"""supplies: catalogue, stock ledger, counts, purchase orders, approvals, delegations

Revision ID: 0004
Revises: 0003
"""

from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

import portal.models.types  # noqa: F401  (custom column types)

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supplier',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('order_email', sa.String(length=254), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('lead_time_days', sa.Integer(), nullable=False),
    sa.Column('min_order_value', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier')),
    sa.UniqueConstraint('name', name=op.f('uq_supplier_name'))
    )
    op.create_table('supply_alert',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_alert')),
    sa.UniqueConstraint('key', name=op.f('uq_supply_alert_key'))
    )
    op.create_table('supply_category',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('monthly_budget', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_category')),
    sa.UniqueConstraint('name', name=op.f('uq_supply_category_name'))
    )
    op.create_table('approval_rule',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('max_amount', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('allow_delegate', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['category_id'], ['supply_category.id'], name=op.f('fk_approval_rule_category_id_supply_category'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_approval_rule'))
    )
    op.create_table('supply_item',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sku', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=160), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('unit', sa.String(length=20), nullable=False),
    sa.Column('pack_size', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=True),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('reorder_point', sa.Integer(), nullable=False),
    sa.Column('par_level', sa.Integer(), nullable=False),
    sa.Column('location', sa.String(length=80), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('on_hand', sa.Integer(), nullable=False),
    sa.Column('low_alerted_on', sa.Date(), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('on_hand >= 0', name=op.f('ck_supply_item_on_hand_not_negative')),
    sa.CheckConstraint('pack_size >= 1', name=op.f('ck_supply_item_pack_size_positive')),
    sa.ForeignKeyConstraint(['category_id'], ['supply_category.id'], name=op.f('fk_supply_item_category_id_supply_category')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_supply_item_supplier_id_supplier')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_item')),
    sa.UniqueConstraint('sku', name=op.f('uq_supply_item_sku'))
    )
    with op.batch_alter_table('supply_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_item_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_supply_item_name', ['name'], unique=False)
        batch_op.create_index(batch_op.f('ix_supply_item_supplier_id'), ['supplier_id'], unique=False)
    op.create_table('purchase_delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('manager_id', sa.Integer(), nullable=False),
    sa.Column('delegate_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('amount_limit', sa.Numeric(precision=12, scale=2), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('cancelled_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('ends_on >= starts_on', name=op.f('ck_purchase_delegation_window')),
    sa.CheckConstraint('manager_id <> delegate_id', name=op.f('ck_purchase_delegation_not_self')),
    sa.ForeignKeyConstraint(['delegate_id'], ['user_account.id'], name=op.f('fk_purchase_delegation_delegate_id_user_account')),
    sa.ForeignKeyConstraint(['manager_id'], ['user_account.id'], name=op.f('fk_purchase_delegation_manager_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_delegation'))
    )
    with op.batch_alter_table('purchase_delegation', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_delegation_delegate', ['delegate_id', 'starts_on', 'ends_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_delegation_manager_id'), ['manager_id'], unique=False)
    op.create_table('purchase_order',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('total', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('created_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('approver_id', sa.Integer(), nullable=True),
    sa.Column('on_behalf_of_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('rejected_reason', sa.String(length=500), nullable=True),
    sa.Column('rejected_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_reason', sa.String(length=500), nullable=True),
    sa.Column('escalated_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('sent_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('submission_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('approver_id IS NULL OR approver_id <> requester_id', name=op.f('ck_purchase_order_requester_not_approver')),
    sa.ForeignKeyConstraint(['approver_id'], ['user_account.id'], name=op.f('fk_purchase_order_approver_id_user_account')),
    sa.ForeignKeyConstraint(['category_id'], ['supply_category.id'], name=op.f('fk_purchase_order_category_id_supply_category')),
    sa.ForeignKeyConstraint(['on_behalf_of_id'], ['user_account.id'], name=op.f('fk_purchase_order_on_behalf_of_id_user_account')),
    sa.ForeignKeyConstraint(['rejected_by_id'], ['user_account.id'], name=op.f('fk_purchase_order_rejected_by_id_user_account')),
    sa.ForeignKeyConstraint(['requester_id'], ['user_account.id'], name=op.f('fk_purchase_order_requester_id_user_account')),
    sa.ForeignKeyConstraint(['submission_id'], ['outbound_message.id'], name=op.f('fk_purchase_order_submission_id_outbound_message')),
    sa.ForeignKeyConstraint(['supplier_id'], ['supplier.id'], name=op.f('fk_purchase_order_supplier_id_supplier')),
    sa.ForeignKeyConstraint(['updated_by_id'], ['user_account.id'], name=op.f('fk_purchase_order_updated_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order'))
    )
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.create_index('ix_purchase_order_category_approved', ['category_id', 'approved_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_requester_id'), ['requester_id'], unique=False)
        batch_op.create_index('ix_purchase_order_status_submitted', ['status', 'submitted_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_supplier_id'), ['supplier_id'], unique=False)
    op.create_table('stock_count',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('started_by_id', sa.Integer(), nullable=False),
    sa.Column('started_at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('posted_by_id', sa.Integer(), nullable=True),
    sa.Column('posted_at', portal.models.types.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['category_id'], ['supply_category.id'], name=op.f('fk_stock_count_category_id_supply_category')),
    sa.ForeignKeyConstraint(['posted_by_id'], ['user_account.id'], name=op.f('fk_stock_count_posted_by_id_user_account')),
    sa.ForeignKeyConstraint(['started_by_id'], ['user_account.id'], name=op.f('fk_stock_count_started_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_count'))
    )
    op.create_table('purchase_order_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_cost', sa.Numeric(precision=12, scale=2), nullable=False),
    sa.Column('received_qty', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_purchase_order_line_quantity_positive')),
    sa.CheckConstraint('received_qty >= 0 AND received_qty <= quantity', name=op.f('ck_purchase_order_line_received_within_ordered')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_item.id'], name=op.f('fk_purchase_order_line_item_id_supply_item')),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_purchase_order_line_order_id_purchase_order'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_purchase_order_line'))
    )
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_purchase_order_line_item_id'), ['item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_purchase_order_line_order_id'), ['order_id'], unique=False)
    op.create_table('stock_count_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('count_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('expected', sa.Integer(), nullable=False),
    sa.Column('counted', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['count_id'], ['stock_count.id'], name=op.f('fk_stock_count_line_count_id_stock_count'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['item_id'], ['supply_item.id'], name=op.f('fk_stock_count_line_item_id_supply_item')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_count_line')),
    sa.UniqueConstraint('count_id', 'item_id', name=op.f('uq_stock_count_line_count_id'))
    )
    op.create_table('supply_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('received_by_id', sa.Integer(), nullable=False),
    sa.Column('at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['purchase_order.id'], name=op.f('fk_supply_receipt_order_id_purchase_order'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['received_by_id'], ['user_account.id'], name=op.f('fk_supply_receipt_received_by_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supply_receipt'))
    )
    with op.batch_alter_table('supply_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supply_receipt_order_id'), ['order_id'], unique=False)
    op.create_table('stock_movement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=True),
    sa.Column('issued_to_id', sa.Integer(), nullable=True),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('order_line_id', sa.Integer(), nullable=True),
    sa.Column('count_id', sa.Integer(), nullable=True),
    sa.Column('at', portal.models.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['user_account.id'], name=op.f('fk_stock_movement_actor_id_user_account')),
    sa.ForeignKeyConstraint(['count_id'], ['stock_count.id'], name=op.f('fk_stock_movement_count_id_stock_count')),
    sa.ForeignKeyConstraint(['department_id'], ['department.id'], name=op.f('fk_stock_movement_department_id_department')),
    sa.ForeignKeyConstraint(['issued_to_id'], ['user_account.id'], name=op.f('fk_stock_movement_issued_to_id_user_account')),
    sa.ForeignKeyConstraint(['item_id'], ['supply_item.id'], name=op.f('fk_stock_movement_item_id_supply_item'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['order_line_id'], ['purchase_order_line.id'], name=op.f('fk_stock_movement_order_line_id_purchase_order_line')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stock_movement'))
    )
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.create_index('ix_stock_movement_at', ['at'], unique=False)
        batch_op.create_index('ix_stock_movement_item_at', ['item_id', 'at'], unique=False)
        batch_op.create_index(batch_op.f('ix_stock_movement_order_line_id'), ['order_line_id'], unique=False)


def downgrade():
    with op.batch_alter_table('stock_movement', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stock_movement_order_line_id'))
        batch_op.drop_index('ix_stock_movement_item_at')
        batch_op.drop_index('ix_stock_movement_at')
    op.drop_table('stock_movement')
    with op.batch_alter_table('supply_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_receipt_order_id'))
    op.drop_table('supply_receipt')
    op.drop_table('stock_count_line')
    with op.batch_alter_table('purchase_order_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_line_order_id'))
        batch_op.drop_index(batch_op.f('ix_purchase_order_line_item_id'))
    op.drop_table('purchase_order_line')
    op.drop_table('stock_count')
    with op.batch_alter_table('purchase_order', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_order_supplier_id'))
        batch_op.drop_index('ix_purchase_order_status_submitted')
        batch_op.drop_index(batch_op.f('ix_purchase_order_requester_id'))
        batch_op.drop_index('ix_purchase_order_category_approved')
    op.drop_table('purchase_order')
    with op.batch_alter_table('purchase_delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_purchase_delegation_manager_id'))
        batch_op.drop_index('ix_purchase_delegation_delegate')
    op.drop_table('purchase_delegation')
    with op.batch_alter_table('supply_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supply_item_supplier_id'))
        batch_op.drop_index('ix_supply_item_name')
        batch_op.drop_index(batch_op.f('ix_supply_item_category_id'))
    op.drop_table('supply_item')
    op.drop_table('approval_rule')
    op.drop_table('supply_category')
    op.drop_table('supply_alert')
    op.drop_table('supplier')
