"""Roles and the named permissions each one holds: a plain table, importable from anywhere.

Models (``User.permissions``, delegations) and the web layer (``portal.security``'s decorators)
both read it, so it imports nothing of either.
"""

from __future__ import annotations

ROLES = ("staff", "back_office", "office_manager", "director", "hr_manager", "admin")

# Every permission the portal knows, with the roles that hold it.  A later delegation grants one
# permission to one user for a period; see ``User.permissions``.
PERMISSIONS: dict[str, tuple[str, ...]] = {
    # Everyone
    "messages.view_own": ROLES,
    "requests.create": ROLES,
    "directory.view": ROLES,
    "equipment.report_fault": ROLES,
    # Front desk
    "calls.log": ("back_office",),
    "calls.view_all": ("back_office",),
    "fax.manage": ("back_office",),
    "visitors.manage": ("back_office",),
    "requests.triage": ("back_office",),
    # Supplies and purchasing
    "supplies.view": ("back_office", "office_manager", "director"),
    "supplies.manage": ("back_office", "office_manager"),
    "stock.count": ("back_office",),
    "purchase.create": ("back_office", "office_manager"),
    "purchase.approve": ("office_manager", "director"),
    "purchase.approve_above_limit": ("director",),
    "purchase.delegate": ("office_manager", "director"),
    "budgets.manage": ("office_manager",),
    # Equipment
    "equipment.view": ("back_office", "office_manager"),
    "equipment.manage": ("back_office", "office_manager"),
    # Recruiting and people
    "hr.cv.upload": ("back_office", "hr_manager"),
    "hr.interviews.schedule": ("back_office", "hr_manager"),
    "hr.openings.manage": ("hr_manager",),
    "hr.candidates.view": ("hr_manager", "admin"),
    "hr.employees.view": ("hr_manager", "admin"),
    "hr.employees.manage": ("hr_manager",),
    # Shared inbox and search
    "inbox.view": ("back_office",),
    "inbox.mailboxes": ("admin",),
    # Reports
    "reports.frontdesk": ("back_office", "office_manager"),
    "reports.supplies": ("back_office", "office_manager", "director"),
    "reports.equipment": ("back_office", "office_manager"),
    "reports.recruiting": ("hr_manager",),
    "reports.people": ("hr_manager",),
    "reports.summary": ("office_manager", "hr_manager"),
    # Administration
    "admin.company": ("admin", "office_manager"),
    "admin.users": ("admin",),
    "admin.audit": ("admin",),
    "admin.outbox": ("admin",),
}


def permissions_for_roles(roles: list[str] | tuple[str, ...] | set[str]) -> frozenset[str]:
    """Return the permissions granted by ``roles``."""
    held = set(roles)
    return frozenset(p for p, granted in PERMISSIONS.items() if held.intersection(granted))
