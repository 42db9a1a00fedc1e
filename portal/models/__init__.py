"""Every model module in this package is imported here, so Alembic sees the whole schema.

Areas add ``portal/models/<area>.py``; nothing else needs editing.
"""

import importlib
import pkgutil

from portal.models.audit import AuditEntry
from portal.models.devmail import DevMailboxMessage
from portal.models.notifications import Notification, NotificationPreference
from portal.models.outbox import OutboundAttachment, OutboundMessage
from portal.models.users import Department, LoginAttempt, User, UserRole

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "AuditEntry",
    "Department",
    "DevMailboxMessage",
    "LoginAttempt",
    "Notification",
    "NotificationPreference",
    "OutboundAttachment",
    "OutboundMessage",
    "User",
    "UserRole",
]
