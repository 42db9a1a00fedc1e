"""In-app notifications, the bell, marking read, and per-kind e-mail preferences."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import event, select

from portal.extensions import db
from portal.models import Notification, User
from portal.models.devmail import DevMailboxMessage
from portal.models.outbox import OutboundMessage
from portal.services import notifications


def _notify(user, text=None, **kw):
    note = notifications.notify(user, "system", None, text=text or _l("System messages"), **kw)
    db.session.commit()
    return note


def test_notify_creates_in_app_notification_and_email_in_users_language(make_user, run_jobs):
    user = make_user(email="ana@example.com", name="Ana", locale="pt_BR")
    _notify(user, url="/notifications/")
    note = db.session.scalars(select(Notification)).one()
    assert note.read_at is None
    assert notifications.render_in(note, "pt_BR") == "Mensagens do sistema"
    message = db.session.scalars(select(OutboundMessage)).one()
    assert message.recipients == ["ana@example.com"] and message.locale == "pt_BR"
    assert "Olá, Ana," in message.text_body
    assert "http://portal.test/notifications/" in message.text_body
    assert message.subject == "Mensagens do sistema"
    run_jobs()
    assert db.session.scalars(select(DevMailboxMessage)).one().recipients == ["ana@example.com"]


def test_user_who_turned_email_off_gets_only_the_in_app_notification(
    client, make_user, login_as, run_jobs
):
    user = login_as(make_user())
    response = client.post("/notifications/preferences", data={})  # nothing ticked
    assert response.status_code == 303
    page = client.get("/notifications/preferences").get_data(as_text=True)
    assert 'value="system"' in page and "checked" not in page
    _notify(user)
    assert db.session.query(Notification).count() == 1
    assert db.session.query(OutboundMessage).count() == 0
    user_id = user.id
    run_jobs()
    assert db.session.query(DevMailboxMessage).count() == 0
    # Ticking it again brings the e-mail back.
    client.post("/notifications/preferences", data={"email": ["system"]})
    _notify(db.session.get(User, user_id))
    assert db.session.query(OutboundMessage).count() == 1


def test_email_false_and_inactive_users_get_no_email(make_user):
    active = make_user()
    _notify(active, email=False)
    disabled = make_user(active=False)
    _notify(disabled)
    assert db.session.query(Notification).count() == 2
    assert db.session.query(OutboundMessage).count() == 0


def test_bell_counts_unread_with_one_query(app, client, make_user, login_as):
    user = login_as(make_user())
    other = make_user()
    for _ in range(3):
        _notify(user, email=False)
    _notify(other, email=False)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/notifications/bell", headers={"HX-Request": "true"})
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert '<span class="badge badge-count"' in html and ">3</span>" in html
    about_notifications = [s for s in statements if "notification" in s.lower()]
    assert len(about_notifications) == 1
    assert "count(" in about_notifications[0].lower()


def test_bell_requires_sign_in(client):
    response = client.get("/notifications/bell", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "HX-Redirect" in response.headers


def test_mark_one_read_then_all_read(client, make_user, login_as):
    user = login_as(make_user())
    first = _notify(user, email=False)
    _notify(user, email=False)
    first_id = first.id
    page = client.get("/notifications/").get_data(as_text=True)
    assert page.count("Mark as read") == 2
    assert client.post(f"/notifications/{first_id}/read").status_code == 303
    assert notifications.unread_count(user) == 1
    assert client.post("/notifications/read-all").status_code == 303
    assert notifications.unread_count(user) == 0


def test_cannot_mark_someone_elses_notification(client, make_user, login_as):
    owner = make_user()
    note = _notify(owner, email=False)
    note_id = note.id
    login_as(make_user())
    client.post(f"/notifications/{note_id}/read")
    assert db.session.get(Notification, note_id).read_at is None


def test_list_is_a_fragment_for_htmx(client, make_user, login_as):
    user = login_as(make_user())
    _notify(user, email=False)
    response = client.get("/notifications/?page=1", headers={"HX-Request": "true"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in html and 'id="notification-list"' in html


def test_unknown_kind_is_refused(make_user):
    import pytest

    with pytest.raises(ValueError):
        notifications.notify(make_user(), "no-such-kind", None, text="x")
