"""The audit log as people read it: actions, areas and records in words, filters, export.

An entry stores a code (``recruiting.hired``) and a record's class and id (``Application``,
19); the log shows "Candidate hired" and "Application #19".  An action without its own label
reads as its area's name and the rest of its code, so a new action is never hidden.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import format_date, format_datetime
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, select

from portal.extensions import db
from portal.models import User
from portal.models.audit import AuditEntry
from portal.services.audit import list_entries

AREAS: dict[str, Any] = {
    "auth": _l("Sign-in"),
    "user": _l("Users"),
    "access": _l("Access"),
    "company": _l("Company profile"),
    "frontdesk": _l("Front desk"),
    "supplies": _l("Supplies"),
    "equipment": _l("Equipment"),
    "recruiting": _l("Recruiting"),
    "people": _l("People"),
    "inbox": _l("Shared inbox"),
    "outbox": _l("Outbox"),
    "notifications": _l("Notifications"),
    "reports": _l("Reports"),
}

ACTIONS: dict[str, Any] = {
    "auth.login": _l("Signed in"),
    "auth.login_failed": _l("Failed sign-in"),
    "auth.logout": _l("Signed out"),
    "user.create": _l("User account created"),
    "user.update": _l("User account changed"),
    "user.password_changed": _l("Password changed"),
    "user.temporary_password": _l("Temporary password set"),
    "company.profile": _l("Company profile changed"),
    "company.logo": _l("Company logo changed"),
    "frontdesk.call.logged": _l("Call logged"),
    "frontdesk.call.corrected": _l("Call corrected"),
    "frontdesk.call.returned": _l("Call returned"),
    "frontdesk.call.voided": _l("Call voided"),
    "frontdesk.fax.logged": _l("Fax logged"),
    "frontdesk.fax.corrected": _l("Fax corrected"),
    "frontdesk.fax.voided": _l("Fax voided"),
    "frontdesk.visit.arrived": _l("Visitor signed in"),
    "frontdesk.visit.left": _l("Visitor signed out"),
    "frontdesk.visit.corrected": _l("Visit corrected"),
    "frontdesk.visit.voided": _l("Visit voided"),
    "frontdesk.request.filed": _l("Request filed"),
    "frontdesk.request.triaged": _l("Request triaged"),
    "frontdesk.request.commented": _l("Comment on a request"),
    "supplies.item.create": _l("Item created"),
    "supplies.item.update": _l("Item changed"),
    "supplies.item.import": _l("Items imported"),
    "supplies.supplier.create": _l("Supplier created"),
    "supplies.supplier.update": _l("Supplier changed"),
    "supplies.supplier.import": _l("Suppliers imported"),
    "supplies.stock.issue": _l("Stock issued"),
    "supplies.stock.receipt": _l("Stock received"),
    "supplies.count.start": _l("Stock count started"),
    "supplies.count.line": _l("Stock count line entered"),
    "supplies.count.post": _l("Stock count posted"),
    "supplies.order.create": _l("Purchase order created"),
    "supplies.order.submit": _l("Purchase order submitted for approval"),
    "supplies.order.approve": _l("Purchase order approved"),
    "supplies.order.reject": _l("Purchase order rejected"),
    "supplies.order.cancel": _l("Purchase order cancelled"),
    "supplies.order.close": _l("Purchase order closed"),
    "supplies.order.receive": _l("Delivery received"),
    "supplies.order.line_add": _l("Line added to an order"),
    "supplies.order.line_remove": _l("Line removed from an order"),
    "supplies.order.submission_confirmed": _l("Order's arrival at the supplier confirmed"),
    "supplies.order.submission_resent": _l("Order sent to the supplier again"),
    "supplies.budget.update": _l("Budget changed"),
    "supplies.rule.delete": _l("Approval rule deleted"),
    "supplies.delegation.cancel": _l("Delegation cancelled"),
    "equipment.asset.created": _l("Machine registered"),
    "equipment.asset.changed": _l("Machine changed"),
    "equipment.asset.import": _l("Machines imported"),
    "equipment.asset.status": _l("Machine status changed"),
    "equipment.fault.reported": _l("Fault reported"),
    "equipment.fault.closed": _l("Fault closed"),
    "equipment.repair.requested": _l("Repair requested"),
    "equipment.repair.closed": _l("Repair closed"),
    "equipment.consumable.issued": _l("Consumable issued to a machine"),
    "recruiting.candidate.added": _l("Candidate added"),
    "recruiting.cv.uploaded": _l("CV received"),
    "recruiting.cv.viewed": _l("CV viewed"),
    "recruiting.stage": _l("Application moved to another stage"),
    "recruiting.hired": _l("Candidate hired"),
    "recruiting.interview.scheduled": _l("Interview scheduled"),
    "recruiting.interview.rescheduled": _l("Interview rescheduled"),
    "recruiting.consent.withdrawn": _l("Consent withdrawn"),
    "people.created": _l("Employee record created"),
    "people.record_viewed": _l("Employee record viewed"),
    "people.warning_issued": _l("Warning issued"),
    "people.anonymised": _l("Personal data anonymised"),
    "people.data_exported": _l("Personal data exported"),
    "outbox.retry": _l("Message sent again"),
    "outbox.cancel": _l("Message cancelled"),
    "inbox.message.reply": _l("Reply sent from the shared inbox"),
    "notifications.preferences": _l("Notification preferences changed"),
}

RECORDS: dict[str, Any] = {
    "User": _l("User"),
    "Call": _l("Call"),
    "Visit": _l("Visit"),
    "Fax": _l("Fax"),
    "StaffRequest": _l("Request"),
    "SupplyItem": _l("Item"),
    "Supplier": _l("Supplier"),
    "PurchaseOrder": _l("Purchase order"),
    "StockCount": _l("Stock count"),
    "StockCountLine": _l("Stock count line"),
    "Asset": _l("Machine"),
    "Fault": _l("Fault"),
    "Repair": _l("Repair"),
    "Candidate": _l("Candidate"),
    "Application": _l("Application"),
    "Interview": _l("Interview"),
    "Opening": _l("Job opening"),
    "Employee": _l("Employee"),
    "OutboundMessage": _l("Outgoing message"),
    "InboxMessage": _l("Shared inbox message"),
    "CompanyProfile": _l("Company profile"),
}


def action_label(action: str) -> str:
    """ "Candidate hired" for ``recruiting.hired``; else the area's name and the code's rest."""
    label = ACTIONS.get(action)
    if label is not None:
        return str(label)
    area, _dot, rest = action.partition(".")
    if area in AREAS:
        return f"{AREAS[area]}: {rest.replace('_', ' ').replace('.', ' · ')}"
    return action


def area_label(action: str) -> str:
    area = action.partition(".")[0]
    return str(AREAS.get(area, area))


def record_label(target_type: str | None, target_id: int | None) -> str:
    """ "Application #19"; nothing when the entry is about no record."""
    if not target_type:
        return ""
    name = str(RECORDS.get(target_type, target_type))
    return f"{name} #{target_id}" if target_id is not None else name


_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def change_value(value: Any) -> str:
    """A changed value as people read it: dates in the locale, yes/no, a dash for nothing."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, str) and _ISO_DATE.match(value):
        return format_date(date.fromisoformat(value))
    if isinstance(value, str) and _ISO_DATETIME.match(value):
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            return value
        return format_datetime(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "America/Sao_Paulo")


def _utc_bound(day: date) -> datetime:
    """Local midnight starting ``day``, in UTC (what the log stores)."""
    return datetime.combine(day, time.min, tzinfo=_zone()).astimezone(UTC)


def filtered(
    *,
    action: str = "",
    area: str = "",
    actor_id: int | None = None,
    target_type: str = "",
    target_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> Select:
    """The log's entries for the page's filters (dates are local days, both included)."""
    stmt = list_entries(
        action=action or None,
        actor_id=actor_id,
        target_type=target_type or None,
        target_id=target_id,
    )
    if area in AREAS and not action:
        stmt = stmt.where(AuditEntry.action.startswith(area + "."))
    if date_from:
        stmt = stmt.where(AuditEntry.at >= _utc_bound(date_from))
    if date_to:
        stmt = stmt.where(AuditEntry.at < _utc_bound(date_to + timedelta(days=1)))
    return stmt


def people() -> list[tuple[int, str]]:
    """Who can be picked as "by": every account, by name."""
    return [
        (row[0], row[1])
        for row in db.session.execute(select(User.id, User.name).order_by(User.name))
    ]


def export_rows(stmt: Select) -> Iterator[list[Any]]:
    """The filtered log for an export, header first: labels, not codes."""
    yield [_("When"), _("Who"), _("Area"), _("Action"), _("Record"), _("Changes"), _("Address")]
    for entry in db.session.scalars(stmt.execution_options(yield_per=1000)):
        changes = "; ".join(
            f"{key}: {change_value(value[0])} → {change_value(value[1])}"
            if isinstance(value, list) and len(value) == 2
            else f"{key}: {change_value(value)}"
            for key, value in (entry.changes or {}).items()
        )
        record = record_label(entry.target_type, entry.target_id)
        if entry.target_label:
            record = f"{record} · {entry.target_label}" if record else entry.target_label
        yield [
            entry.at,
            entry.actor.name if entry.actor else "",
            area_label(entry.action),
            action_label(entry.action),
            record,
            changes,
            entry.address or "",
        ]
