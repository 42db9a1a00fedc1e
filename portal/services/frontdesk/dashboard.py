"""Dashboard figures for the front-desk cards."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, or_, select

from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    IN_PROGRESS,
    NEW,
    OPEN,
    VOID,
    StaffRequest,
    Visit,
)
from portal.services.frontdesk.calls import _C, _CALL
from portal.services.frontdesk.common import day_start, today_local

# --- dashboard figures ------------------------------------------------------------------------


def _count(table: Any, *conditions: Any) -> Any:
    return select(func.count()).select_from(table).where(*conditions).scalar_subquery()


_VISIT = Visit.__table__
_REQUEST = StaffRequest.__table__

# The front-desk card's five figures in one round trip, built once.
_DESK_SUMMARY = select(
    _count(_CALL, _C.created_at >= bindparam("since"), _C.status != VOID).label("calls_today"),
    _count(_CALL, _C.status == OPEN).label("open_messages"),
    _count(_CALL, _C.status == OPEN, _C.callback_due_at < bindparam("now")).label("overdue"),
    _count(_VISIT, _VISIT.c.left_at.is_(None), _VISIT.c.voided_at.is_(None)).label("visitors"),
    _count(_REQUEST, _REQUEST.c.status == NEW).label("untriaged"),
)


def desk_summary(now: datetime | None = None) -> dict[str, int]:
    now = now or utcnow()
    row = db.session.execute(
        _DESK_SUMMARY, {"since": day_start(today_local(now)), "now": now}
    ).one()
    return {key: value or 0 for key, value in row._mapping.items()}


def my_requests_summary(user: User, limit: int = 5) -> list[StaffRequest]:
    return list(
        db.session.scalars(
            select(StaffRequest)
            .where(
                StaffRequest.requester_id == user.id,
                or_(
                    StaffRequest.status.in_((NEW, IN_PROGRESS)),
                    and_(
                        StaffRequest.closed_at.is_not(None),
                        StaffRequest.closed_at >= utcnow() - timedelta(days=7),
                    ),
                ),
            )
            .order_by(StaffRequest.created_at.desc())
            .limit(limit)
        )
    )
