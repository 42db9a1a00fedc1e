"""Notifications are stored as kind + message + parameters and read in the reader's language."""

from __future__ import annotations

from datetime import UTC, date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from portal.extensions import db
from portal.models import Notification, OutboundMessage
from portal.services import frontdesk, notifications


def _one_note(user) -> Notification:
    return db.session.scalars(select(Notification).where(Notification.user_id == user.id)).one()


def test_same_row_reads_in_portuguese_and_english(client, make_user, login_as):
    """A request status change made while the requester used English reads in Portuguese after
    they switch, from the very same row."""
    requester = make_user(name="Ana", locale="en")
    back_office = make_user(roles=["back_office"], name="Bia")
    req = frontdesk.file_request(
        requester=requester, type="general", title="Chairs", description="Two more chairs"
    )
    frontdesk.change_request_status(req, actor=back_office, status="in_progress")
    db.session.commit()
    note = _one_note(requester)
    # What is stored: the msgid and its parameters, the status still translatable.
    assert note.message == "Your request #%(id)s is now: %(status)s"
    assert note.params["id"] == req.id and note.params["status"]["_t"] == "pgettext"
    assert "text" not in note.params
    english = notifications.render_in(note, "en")
    portuguese = notifications.render_in(note, "pt_BR")
    assert english == f"Your request #{req.id} is now: In progress"
    assert portuguese.startswith(f"Sua solicitação nº {req.id}")
    assert "In progress" not in portuguese and "Em andamento" in portuguese

    login_as(requester)
    page = client.get("/notifications/").get_data(as_text=True)
    assert english in page
    requester.locale = "pt_BR"
    db.session.commit()
    page = client.get("/notifications/").get_data(as_text=True)
    assert portuguese in page and english not in page


def test_email_is_rendered_in_the_recipients_language(make_user):
    user = make_user(name="Caio", locale="pt_BR")
    notifications.notify(
        user,
        "system",
        None,
        _l("Interview with %(name)s scheduled for %(start)s."),
        {"name": "Rita", "start": datetime(2026, 12, 3, 13, 0, tzinfo=UTC)},
    )
    db.session.commit()
    message = db.session.scalars(select(OutboundMessage)).one()
    # São Paulo time, dd/mm/aaaa, HH:MM without seconds; Portuguese words.
    assert "03/12/2026" in message.text_body and "10:00" in message.text_body
    assert "10:00:00" not in message.text_body and "2026-12-03" not in message.text_body
    assert "Rita" in message.subject and "Interview" not in message.subject


def test_parameters_dates_and_money_follow_the_reader(make_user):
    user = make_user(locale="en")
    note = notifications.notify(
        user,
        "system",
        None,
        "%(amount)s due on %(day)s",
        {"amount": notifications.Money("1234.5"), "day": date(2026, 12, 3)},
        email=False,
    )
    db.session.commit()
    assert notifications.render_in(note, "pt_BR") == "R$\xa01.234,50 due on 03/12/2026"
    assert notifications.render_in(note, "en").startswith("R$1,234.50 due on 12/3/26")


def test_old_text_form_is_still_accepted_and_stored_as_parameters(make_user):
    user = make_user(locale="en")
    note = notifications.notify(
        user, "system", None, text=lambda: _l("New message from %(who)s.", who="Zé"), email=False
    )
    db.session.commit()
    assert note.message == "New message from %(who)s." and note.params == {"who": "Zé"}
    assert notifications.render_in(note, "pt_BR") == "Novo recado de Zé."


def test_a_legacy_row_keeps_its_text(make_user):
    user = make_user()
    note = Notification(user_id=user.id, kind="system", message=None, params={"text": "Olá"})
    db.session.add(note)
    db.session.commit()
    assert notifications.render_in(note, "en") == "Olá"


def test_a_translation_that_lost_its_placeholder_falls_back(make_user):
    user = make_user()
    note = Notification(
        user_id=user.id, kind="system", message="Hello %(name)s", params={"nome": "x"}
    )
    db.session.add(note)
    db.session.commit()
    assert notifications.render_in(note, "pt_BR") == "Hello %(name)s"


def test_opening_a_notification_marks_it_read_and_follows_it(client, make_user, login_as):
    user = login_as(make_user())
    note = notifications.notify(
        user, "system", None, _l("System messages"), url="/notifications/preferences", email=False
    )
    db.session.commit()
    note_id = note.id
    response = client.get(f"/notifications/{note_id}")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/notifications/preferences")
    assert db.session.get(Notification, note_id).read_at is not None
    assert notifications.unread_count(user) == 0


def test_opening_someone_elses_notification_changes_nothing(client, make_user, login_as):
    owner = make_user()
    note = notifications.notify(
        owner, "system", None, _l("System messages"), url="/elsewhere", email=False
    )
    db.session.commit()
    note_id = note.id
    login_as(make_user())
    response = client.get(f"/notifications/{note_id}")
    assert response.status_code == 303 and response.headers["Location"].endswith("/notifications/")
    assert db.session.get(Notification, note_id).read_at is None


def test_an_outside_url_is_never_followed(client, make_user, login_as):
    user = login_as(make_user())
    note = notifications.notify(
        user, "system", None, _l("System messages"), url="https://evil.example/", email=False
    )
    db.session.commit()
    response = client.get(f"/notifications/{note.id}")
    assert "evil.example" not in response.headers["Location"]


def test_bell_opens_the_latest_few(client, make_user, login_as, rendered_templates):
    user = login_as(make_user(locale="pt_BR"))
    for n in range(notifications.LATEST + 2):
        notifications.notify(
            user, "system", None, _l("New message from %(who)s."), {"who": f"P{n}"}, email=False
        )
    db.session.commit()
    page = client.get("/").get_data(as_text=True)
    assert 'id="bell-menu"' in page and 'hx-get="/notifications/latest"' in page
    response = client.get("/notifications/latest", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert rendered_templates[-1] == "notifications/_partials/_latest.html"
    html = response.get_data(as_text=True)
    assert html.count("<li") == notifications.LATEST
    assert "Novo recado de P7" in html and "P0" not in html and "P1<" not in html
    assert "/notifications/" in html  # "see all"
    # Without htmx the same address is a full page.
    rendered_templates.clear()
    assert client.get("/notifications/latest").status_code == 200
    assert rendered_templates[0] == "notifications/latest.html"


def test_latest_requires_sign_in(client):
    response = client.get("/notifications/latest", headers={"HX-Request": "true"})
    assert response.status_code == 401 and "HX-Redirect" in response.headers


def test_request_types_come_from_the_registry(app):
    keys = list(frontdesk.request_types())
    assert "general" in keys and "equipment_fault" in keys
    assert str(frontdesk.request_type_label("no-such-type")) == "no-such-type"
