"""Staff requests: request types, filing, triage, status changes and comments."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select
from sqlalchemy.orm import selectinload

from portal import ui
from portal.errors import InvalidTransition, NotAllowed, NotFound, ValidationError
from portal.extensions import db
from portal.models import User
from portal.models.base import utcnow
from portal.models.frontdesk import (
    DONE,
    IN_PROGRESS,
    NEW,
    PRIORITIES,
    REJECTED,
    RequestComment,
    StaffRequest,
)
from portal.services import audit
from portal.services.frontdesk.common import REQUEST_STATUS_LABELS, _clean, _path, today_local
from portal.services.notifications import notify

# --- request types: other areas add theirs --------------------------------------------------


@dataclass(frozen=True)
class RequestType:
    key: str
    label: Any
    # Called with the new request inside the filing transaction (e.g. supplies opens a draft).
    on_filed: Callable[[StaffRequest], None] | None = None


def request_types() -> dict[str, RequestType]:
    """The request types the areas registered (``registry.request_type`` in ``register(app)``),
    in registration order; a later area's entry replaced an earlier one with the same key."""
    return {
        key: RequestType(key, label, on_filed)
        for key, (label, on_filed) in ui.current().request_types.items()
    }


def request_type_label(key: str) -> Any:
    """The label of request type ``key`` (the key itself for a type no longer registered)."""
    entry = ui.current().request_types.get(key)
    return entry[0] if entry else key


# --- staff requests ---------------------------------------------------------------------------


def file_request(
    *, requester: User, type: str, title: str | None, description: str | None
) -> StaffRequest:
    """Any staff member files a request for the back office."""
    types = request_types()
    if type not in types:
        raise ValidationError(_("Choose a type of request."), field="type")
    title = _clean(title, 200)
    if not title:
        raise ValidationError(_("Give the request a short title."), field="title")
    body = (description or "").strip()[:5000]
    if not body:
        raise ValidationError(_("Describe what you need."), field="description")
    req = StaffRequest(type=type, title=title, description=body, requester=requester)
    db.session.add(req)
    db.session.flush()
    audit.record(requester, "frontdesk.request.filed", req, {"type": type})
    hook = types[type].on_filed
    if hook is not None:
        hook(req)
    return req


def list_requests(viewer: User, *, status: str = "", mine: bool = False, type: str = "") -> Select:
    """Back office sees every request; everyone else only their own."""
    stmt = select(StaffRequest).options(
        selectinload(StaffRequest.requester), selectinload(StaffRequest.assignee)
    )
    if mine or not viewer.can("requests.triage"):
        stmt = stmt.where(StaffRequest.requester_id == viewer.id)
    if status == "open":
        stmt = stmt.where(StaffRequest.status.in_((NEW, IN_PROGRESS)))
    elif status in REQUEST_STATUS_LABELS:
        stmt = stmt.where(StaffRequest.status == status)
    if type in ui.current().request_types:
        stmt = stmt.where(StaffRequest.type == type)
    return stmt.order_by(StaffRequest.created_at.desc(), StaffRequest.id.desc())


def get_request_for(request_id: int, viewer: User) -> StaffRequest:
    req = db.session.scalar(
        select(StaffRequest)
        .where(StaffRequest.id == request_id)
        .options(
            selectinload(StaffRequest.requester),
            selectinload(StaffRequest.assignee),
            selectinload(StaffRequest.comments),
        )
    )
    if req is None:
        raise NotFound(_("This request does not exist."))
    if req.requester_id != viewer.id and not viewer.can("requests.triage"):
        # Same answer as a missing request: do not reveal other people's requests.
        raise NotFound(_("This request does not exist."))
    return req


def back_office_people() -> list[User]:
    from portal.models import UserRole

    return list(
        db.session.scalars(
            select(User)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role == "back_office", User.active.is_(True))
            .order_by(User.name)
        ).unique()
    )


def _tell_requester(req: StaffRequest, actor: User, message: Any, params: dict[str, Any]) -> None:
    if req.requester_id == actor.id:
        return
    notify(
        req.requester,
        "frontdesk.request",
        req,
        message,
        params,
        url=_path(f"/requests/{req.id}"),
        dedupe_key=f"frontdesk.request:{req.id}:{secrets.token_hex(6)}",
    )


def triage_request(
    req: StaffRequest,
    *,
    actor: User,
    assignee_id: int | None,
    priority: str,
    due_date: date | None,
) -> dict[str, Any]:
    """Assign to a back-office person, set priority and due date."""
    if not actor.can("requests.triage"):
        raise NotAllowed(_("Only back office triages requests."))
    if req.status in (DONE, REJECTED):
        raise InvalidTransition(_("This request is closed."))
    if priority not in PRIORITIES:
        raise ValidationError(_("Choose a priority."), field="priority")
    assignee = db.session.get(User, assignee_id) if assignee_id else None
    if assignee_id and (assignee is None or not assignee.can("requests.triage")):
        raise ValidationError(_("Assign to a back-office person."), field="assignee_id")
    if due_date is not None and due_date < today_local() and due_date != req.due_date:
        raise ValidationError(_("The due date cannot be in the past."), field="due_date")
    changes = audit.diff(
        req,
        ["assignee_id", "priority", "due_date"],
        {"assignee_id": assignee_id, "priority": priority, "due_date": due_date},
    )
    if not changes:
        return changes
    req.assignee = assignee
    req.priority = priority
    req.due_date = due_date
    req.triaged_at = req.triaged_at or utcnow()
    audit.record(actor, "frontdesk.request.triaged", req, changes)
    if assignee is not None and "assignee_id" in changes and assignee.id != actor.id:
        notify(
            assignee,
            "frontdesk.request",
            req,
            _l("Request #%(id)s was assigned to you: %(title)s"),
            {"id": req.id, "title": req.title},
            url=_path(f"/requests/{req.id}"),
            dedupe_key=f"frontdesk.request.assigned:{req.id}:{secrets.token_hex(6)}",
        )
    _tell_requester(
        req,
        actor,
        _l("Your request #%(id)s was reviewed by the back office."),
        {"id": req.id},
    )
    return changes


def change_request_status(
    req: StaffRequest, *, actor: User, status: str, reason: str | None = None
) -> None:
    """Move a request new → in progress → done, or reject it with a reason."""
    if not actor.can("requests.triage"):
        raise NotAllowed(_("Only back office changes the status of requests."))
    if not req.can_move_to(status):
        raise InvalidTransition(_("This request cannot move to that status."))
    reason = _clean(reason, 500)
    if status == REJECTED and not reason:
        raise ValidationError(_("Say why the request is rejected."), field="reason")
    previous = req.status
    req.status = status
    if status == REJECTED:
        req.reject_reason = reason
    if status in (DONE, REJECTED):
        req.closed_at = utcnow()
    if status != NEW and req.triaged_at is None:
        req.triaged_at = utcnow()
    audit.record(
        actor,
        "frontdesk.request.status",
        req,
        {"status": [previous, status], **({"reason": reason} if reason else {})},
    )
    if status == REJECTED:
        _tell_requester(
            req,
            actor,
            _l("Your request #%(id)s was rejected: %(reason)s"),
            {"id": req.id, "reason": reason or ""},
        )
    else:
        _tell_requester(
            req,
            actor,
            _l("Your request #%(id)s is now: %(status)s"),
            {"id": req.id, "status": REQUEST_STATUS_LABELS[status]},  # translated when shown
        )


def add_request_comment(req: StaffRequest, *, author: User, body: str | None) -> RequestComment:
    """Comments go both ways: the requester and the back office are told of the other's."""
    if req.requester_id != author.id and not author.can("requests.triage"):
        raise NotAllowed(_("This request is not yours."))
    body = (body or "").strip()[:4000]
    if not body:
        raise ValidationError(_("Write a comment."), field="body")
    comment = RequestComment(request=req, author=author, body=body)
    db.session.add(comment)
    db.session.flush()
    audit.record(author, "frontdesk.request.commented", req)
    if author.id == req.requester_id:
        if req.assignee is not None:
            notify(
                req.assignee,
                "frontdesk.request",
                req,
                _l("%(name)s commented on request #%(id)s."),
                {"name": author.name, "id": req.id},
                url=_path(f"/requests/{req.id}"),
                dedupe_key=f"frontdesk.request.comment:{comment.id}",
            )
    else:
        _tell_requester(
            req, author, _l("The back office commented on your request #%(id)s."), {"id": req.id}
        )
    return comment
