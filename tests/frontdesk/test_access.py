"""Authorization matrix for every front-desk route: anonymous, staff, back office."""

from __future__ import annotations

import pytest

from portal.security import access_of
from tests.documents import tiny_pdf

# (method, url, anonymous, staff, back office) — expected status codes; ids are filled below.
MATRIX = [
    ("get", "/frontdesk/", 302, 403, 200),
    ("post", "/frontdesk/calls", 302, 403, 422),
    ("get", "/frontdesk/calls/lookup?phone=11987654321", 302, 403, 200),
    ("get", "/frontdesk/calls.csv", 302, 403, 200),
    ("get", "/frontdesk/staff-list", 302, 200, 200),
    ("get", "/frontdesk/calls/{call}", 302, 403, 200),
    ("post", "/frontdesk/calls/{call}", 302, 403, 422),
    ("post", "/frontdesk/calls/{call}/void", 302, 403, 422),
    ("get", "/frontdesk/messages", 302, 200, 200),
    ("post", "/frontdesk/messages/{call}/returned", 302, 403, 303),
    ("get", "/frontdesk/visitors", 302, 403, 200),
    ("post", "/frontdesk/visitors", 302, 403, 422),
    ("post", "/frontdesk/visitors/{visit}/leave", 302, 403, 303),
    ("post", "/frontdesk/visitors/{visit}/void", 302, 403, 422),
    ("get", "/frontdesk/visitors/{visit}/edit", 302, 403, 200),
    ("get", "/frontdesk/visitors/export", 302, 403, 200),
    ("post", "/frontdesk/visitors/{visit}", 302, 403, 422),
    ("get", "/frontdesk/faxes", 302, 403, 200),
    ("post", "/frontdesk/faxes", 302, 403, 422),
    ("get", "/frontdesk/faxes/{fax}/file", 302, 403, 200),
    ("post", "/frontdesk/faxes/{fax}/void", 302, 403, 422),
    ("get", "/frontdesk/faxes/{fax}/edit", 302, 403, 200),
    ("get", "/frontdesk/faxes/export", 302, 403, 200),
    ("post", "/frontdesk/faxes/{fax}", 302, 403, 422),
    ("get", "/frontdesk/requests", 302, 200, 200),
    ("get", "/frontdesk/requests/new", 302, 200, 200),
    ("get", "/frontdesk/requests/export", 302, 200, 200),
    ("post", "/frontdesk/requests", 302, 422, 422),
    ("get", "/frontdesk/requests/{request}", 302, 404, 200),
    ("post", "/frontdesk/requests/{request}/comments", 302, 404, 422),
    ("post", "/frontdesk/requests/{request}/triage", 302, 403, 303),
    ("post", "/frontdesk/requests/{request}/status", 302, 403, 303),
]


def test_every_frontdesk_route_is_in_the_matrix(app):
    rules = {
        (m.lower(), r.rule)
        for r in app.url_map.iter_rules()
        if r.endpoint.startswith("frontdesk.")
        for m in r.methods - {"HEAD", "OPTIONS"}
    }
    listed = set()
    for method, url, *_ in MATRIX:
        path = url.split("?")[0]
        for key in ("call", "visit", "fax", "request"):
            path = path.replace("{" + key + "}", f"<int:{key}_id>")
        listed.add((method, path))
    assert rules == listed
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("frontdesk."):
            assert access_of(app.view_functions[rule.endpoint])[0] is not None


@pytest.mark.parametrize("who", ["anonymous", "staff", "back_office"])
def test_matrix(client, login_as, make_user, who):
    from portal.extensions import db
    from portal.services import frontdesk

    desk = make_user(roles=["back_office", "staff"], email="desk@example.com")
    requester = make_user(roles=["staff"], email="req@example.com")
    staff = make_user(roles=["staff"], email="staff@example.com")
    call = frontdesk.log_call(
        frontdesk.CallInput(
            phone="11987654321", caller_name="X", for_whom="req@example.com", message="m"
        ),
        actor=desk,
    )
    visit = frontdesk.register_visit(
        actor=desk, visitor_name="V", company=None, host="req@example.com", badge_number=None
    )
    fax = frontdesk.log_fax(
        actor=desk,
        direction="in",
        number="1133334444",
        correspondent="C",
        pages=1,
        for_whom="req@example.com",
        status="received",
        filename="a.pdf",
        data=tiny_pdf(),
    )
    req = frontdesk.file_request(requester=requester, type="general", title="T", description="D")
    db.session.commit()
    ids = {"call": call.id, "visit": visit.id, "fax": fax.id, "request": req.id}
    if who == "staff":
        login_as(staff)
    elif who == "back_office":
        login_as(desk)
    column = {"anonymous": 2, "staff": 3, "back_office": 4}[who]
    failures = []
    for row in MATRIX:
        method, url = row[0], row[1].format(**ids)
        data = {}
        if url.endswith("/triage"):
            data = {"assignee_id": "", "priority": "high"}
        if url.endswith("/status"):
            data = {"status": "in_progress"}
        resp = getattr(client, method)(url, data=data)
        if resp.status_code != row[column]:
            failures.append((method, url, resp.status_code, row[column]))
    assert not failures
