"""Front desk's part of an exit hand-over: open "while you were out" messages and assigned staff
requests go to the colleague HR names (portal.services.frontdesk.handover, registered as a
hand-over provider); what is done stays where it is."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal import ui
from portal.extensions import db
from portal.models import AuditEntry
from portal.models.frontdesk import Call, StaffRequest
from portal.services import frontdesk
from portal.services.frontdesk.handover import hand_over
from tests.frontdesk.conftest import HX, local_input


def _request(requester, assignee, status="new") -> StaffRequest:
    req = StaffRequest(
        type="general",
        title="Cadeira quebrada",
        description="A cadeira da sala 3 quebrou.",
        requester_id=requester.id,
        assignee_id=assignee.id if assignee else None,
        status=status,
    )
    db.session.add(req)
    db.session.commit()
    return req


def test_the_area_registers_its_handover(app):
    with app.app_context():
        assert "frontdesk" in [p.name for p in ui.current().handover_providers]


def test_open_messages_move_to_the_colleagues_inbox(app, client, log_call, ana, bruno, login_as):
    open_message = log_call()
    callback = log_call(
        outcome="callback", callback_due=local_input(timedelta(hours=2)), message="Ligar"
    )
    returned = log_call()
    with app.test_request_context():
        frontdesk.mark_returned(db.session.get(Call, returned.id), actor=ana, note="feito")
        db.session.commit()

    with app.test_request_context():
        assert hand_over(ana, bruno, actor=None) == 2
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(Call, open_message.id).recipient_id == bruno.id
    assert db.session.get(Call, callback.id).recipient_id == bruno.id
    assert db.session.get(Call, returned.id).recipient_id == ana.id  # done: history stays
    # the colleague sees them under "My messages"
    login_as(bruno)
    page = client.get("/frontdesk/messages?show=open", headers=HX).get_data(as_text=True)
    assert "Carlos Souza" in page
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "frontdesk.handover"))
    assert sorted(entry.changes["messages"]) == sorted([open_message.id, callback.id])

    with app.test_request_context():  # a second run finds nothing left
        assert hand_over(ana, bruno, actor=None) == 0


def test_assigned_requests_go_to_a_colleague_who_triages(app, make_user, desk_user, ana):
    leaver = make_user(roles=["back_office", "staff"], name="Saindo", email="saindo@example.com")
    open_req = _request(ana, leaver)
    working = _request(ana, leaver, status="in_progress")
    done = _request(ana, leaver, status="done")
    with app.test_request_context():
        assert hand_over(leaver, desk_user, actor=None) == 2
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(StaffRequest, open_req.id).assignee_id == desk_user.id
    assert db.session.get(StaffRequest, working.id).assignee_id == desk_user.id
    assert db.session.get(StaffRequest, done.id).assignee_id == leaver.id


def test_requests_go_back_to_triage_when_the_colleague_cannot_triage(app, make_user, ana, bruno):
    leaver = make_user(roles=["back_office", "staff"], name="Saindo", email="saindo@example.com")
    req = _request(ana, leaver)
    with app.test_request_context():
        assert hand_over(leaver, bruno, actor=None) == 1
        db.session.commit()
    db.session.expire_all()
    assert db.session.get(StaffRequest, req.id).assignee_id is None
