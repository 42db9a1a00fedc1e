"""Changing one's notification preferences is in the audit log, old → new."""

from __future__ import annotations

from portal.extensions import db
from portal.models import AuditEntry
from portal.services import notifications


def _entries():
    return db.session.scalars(
        db.select(AuditEntry)
        .where(AuditEntry.action == "notifications.preferences")
        .order_by(AuditEntry.id)
    ).all()


def test_preference_changes_are_audited_old_to_new(client, make_user, login_as):
    user = login_as(make_user())
    assert client.post("/notifications/preferences", data={}).status_code == 303
    (entry,) = _entries()
    assert entry.actor_id == user.id and entry.target_type == "User" and entry.target_id == user.id
    # every kind was on (the default) and is now off
    assert entry.changes == {f"email:{kind}": [True, False] for kind in notifications.kinds()}

    client.post("/notifications/preferences", data={})  # nothing changed: nothing recorded
    assert len(_entries()) == 1

    client.post("/notifications/preferences", data={"email": ["system"]})
    assert _entries()[-1].changes == {"email:system": [False, True]}
    assert len(_entries()) == 2
