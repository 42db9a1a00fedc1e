"""The console: quick call form, htmx contract, filters, search, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from sqlalchemy import select

from portal.extensions import db
from portal.models.frontdesk import Call
from tests.frontdesk.conftest import HX, call_form, local_input


def test_console_full_page_and_fragment(client, login_as, desk_user, ana, log_call):
    log_call()
    login_as(desk_user)
    page = client.get("/frontdesk/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="call-form"' in html and "data-reset-on-success" in html
    assert 'id="call-rows"' in html and "Carlos Souza" in html
    assert "autofocus" in html and 'list="staff-list"' in html
    frag = client.get("/frontdesk/?view=all", headers=HX)
    body = frag.get_data(as_text=True)
    assert frag.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<div id="call-list">') and "Carlos Souza" in body
    assert "HX-Request" in frag.headers.get("Vary", "")


def test_log_call_htmx_returns_row_and_fresh_form(client, login_as, desk_user, ana):
    login_as(desk_user)
    resp = client.post("/frontdesk/calls", data=call_form(), headers=HX)
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith('<tr id="call-')
    assert 'hx-swap-oob="outerHTML"' in body and 'id="call-fields"' in body
    call = db.session.scalar(select(Call))
    assert call.phone == "+5511987654321" and call.recipient_id == ana.id
    assert call.status == "open" and call.logged_by_id == desk_user.id


def test_log_call_without_js_redirects(client, login_as, desk_user, ana):
    login_as(desk_user)
    resp = client.post("/frontdesk/calls", data=call_form())
    assert resp.status_code == 303
    assert "Carlos Souza" in client.get(resp.headers["Location"]).get_data(as_text=True)


def test_bad_input_is_422_with_errors_next_to_fields(client, login_as, desk_user, ana):
    login_as(desk_user)
    data = call_form(phone="12", message="", caller_name="")
    resp = client.post("/frontdesk/calls", data=data, headers=HX)
    assert resp.status_code == 422
    assert resp.headers["HX-Retarget"] == "#call-form"
    body = resp.get_data(as_text=True)
    assert body.lstrip().startswith('<form id="call-form"')
    assert 'id="phone-error"' in body and "not a valid phone number" in body
    assert 'id="message-error"' in body and 'id="caller_name-error"' in body
    assert db.session.scalar(select(Call)) is None
    # Without htmx the whole page comes back, still 422.
    resp = client.post("/frontdesk/calls", data=data)
    assert resp.status_code == 422 and "<html" in resp.get_data(as_text=True)


def test_callback_must_be_in_the_future(client, login_as, desk_user, ana):
    login_as(desk_user)
    past = call_form(outcome="callback", callback_due=local_input(-timedelta(hours=1)))
    resp = client.post("/frontdesk/calls", data=past, headers=HX)
    assert resp.status_code == 422
    assert "must be in the future" in resp.get_data(as_text=True)
    future = call_form(outcome="callback", callback_due=local_input(timedelta(hours=2)))
    assert client.post("/frontdesk/calls", data=future, headers=HX).status_code == 200
    call = db.session.scalar(select(Call))
    assert call.outcome == "callback" and call.callback_due_at is not None


def test_unknown_person_refused(client, login_as, desk_user):
    login_as(desk_user)
    resp = client.post("/frontdesk/calls", data=call_form(for_whom="Nobody Here"), headers=HX)
    assert resp.status_code == 422 and 'id="for_whom-error"' in resp.get_data(as_text=True)


def test_anonymous_htmx_gets_401_with_redirect(client):
    for method, url in [
        ("get", "/frontdesk/"),
        ("post", "/frontdesk/calls"),
        ("get", "/frontdesk/calls/lookup?phone=11987654321"),
    ]:
        resp = getattr(client, method)(url, headers=HX)
        assert resp.status_code == 401
        assert "/login" in resp.headers["HX-Redirect"]


def test_staff_cannot_use_the_console(client, login_as, ana):
    login_as(ana)
    assert client.get("/frontdesk/").status_code == 403
    assert client.post("/frontdesk/calls", data=call_form()).status_code == 403


def test_same_caller_whatever_the_format(client, login_as, desk_user, ana, log_call):
    log_call(phone="(11) 98765-4321")
    log_call(phone="+55 11 98765 4321", caller_name="Carlos S.")
    log_call(phone="011987654321")
    phones = set(db.session.scalars(select(Call.phone)))
    assert phones == {"+5511987654321"}
    login_as(desk_user)
    resp = client.get(
        "/frontdesk/calls/lookup", query_string={"phone": "011 98765-4321"}, headers=HX
    )
    body = resp.get_data(as_text=True)
    assert resp.status_code == 200 and body.lstrip().startswith('<p class="caller-hint"')
    # The most recent call's name and company are pre-filled (out of band, into empty fields).
    assert (
        'id="caller_name" name="caller_name" value="Carlos Souza" maxlength="160" '
        'hx-swap-oob="true"' in body
    )
    assert 'value="Souza Transportes"' in body
    assert "3 calls" in body
    # What the receptionist already typed is never overwritten.
    resp = client.get(
        "/frontdesk/calls/lookup",
        query_string={"phone": "11987654321", "caller_name": "Maria"},
        headers=HX,
    )
    body = resp.get_data(as_text=True)
    assert 'id="caller_name"' not in body and 'value="Souza Transportes"' in body
    # An incomplete number changes nothing on the page.
    assert client.get("/frontdesk/calls/lookup?phone=119", headers=HX).status_code == 204
    resp = client.get("/frontdesk/calls/lookup?phone=1133334444", headers=HX)
    assert "First call" in resp.get_data(as_text=True)


def test_filters_search_and_pagination(client, login_as, desk_user, ana, bruno, log_call, app):
    for i in range(30):
        log_call(caller_name=f"Caller {i:02d}", company="Acme" if i % 2 else "Beta Ltda")
    log_call(
        caller_name="Zélia Prado",
        for_whom="bruno@example.com",
        message="Orçamento 2027",
        phone="(21) 2555-0101",
    )
    login_as(desk_user)
    page1 = client.get("/frontdesk/", headers=HX).get_data(as_text=True)
    assert page1.count('<tr id="call-') == app.config["PAGE_SIZE"]
    assert "Page 1 of 2" in page1
    page2 = client.get("/frontdesk/?page=2", headers=HX).get_data(as_text=True)
    assert page2.count('<tr id="call-') == 31 - app.config["PAGE_SIZE"]
    by_person = client.get(f"/frontdesk/?person={bruno.id}", headers=HX).get_data(as_text=True)
    assert by_person.count('<tr id="call-') == 1 and "Zélia Prado" in by_person
    # The filter's type-ahead sends what was typed: "Name <e-mail>", an e-mail or a name.
    for who in ("Bruno Carvalho <bruno@example.com>", "bruno@example.com", "bruno carvalho"):
        by_who = client.get("/frontdesk/", query_string={"who": who}, headers=HX)
        assert by_who.get_data(as_text=True).count('<tr id="call-') == 1, who
    nobody = client.get("/frontdesk/?who=Nobody", headers=HX).get_data(as_text=True)
    assert '<tr id="call-' not in nobody
    for q in ("zélia", "orçamento", "2555-0101", "+552125550101"):
        found = client.get("/frontdesk/", query_string={"q": q}, headers=HX).get_data(as_text=True)
        assert found.count('<tr id="call-') == 1, q
    acme = client.get("/frontdesk/?q=acme&view=all", headers=HX).get_data(as_text=True)
    assert "15 items" in acme
    old = db.session.scalar(select(Call).where(Call.caller_name == "Caller 00"))
    old.created_at = old.created_at - timedelta(days=10)
    db.session.commit()
    today = client.get("/frontdesk/?view=all&q=Caller%2000", headers=HX).get_data(as_text=True)
    assert "Caller 00" in today
    assert "Caller 00" not in client.get("/frontdesk/?q=Caller%2000", headers=HX).get_data(
        as_text=True
    )
    day = (old.created_at.date()).isoformat()
    ranged = client.get(f"/frontdesk/?view=all&from={day}&to={day}", headers=HX)
    assert ranged.get_data(as_text=True).count('<tr id="call-') == 1


def test_open_and_overdue_filters(client, login_as, desk_user, ana, log_call):
    log_call(outcome="handled", caller_name="Handled One", message="")
    cb = log_call(
        outcome="callback", caller_name="Late Caller", callback_due=local_input(timedelta(hours=1))
    )
    log_call(caller_name="Open Message")
    cb.callback_due_at = cb.created_at - timedelta(minutes=5)
    db.session.commit()
    login_as(desk_user)
    open_ = client.get("/frontdesk/?view=open", headers=HX).get_data(as_text=True)
    assert "Late Caller" in open_ and "Open Message" in open_ and "Handled One" not in open_
    overdue = client.get("/frontdesk/?view=overdue", headers=HX).get_data(as_text=True)
    assert overdue.count('<tr id="call-') == 1 and 'class="overdue' in overdue


def test_csv_export_escapes_formulas(client, login_as, desk_user, ana, log_call):
    log_call(caller_name='=HYPERLINK("http://evil")', company="+cmd", message="@SUM(A1)")
    log_call(caller_name="Normal Name", company="-minus")
    login_as(desk_user)
    resp = client.get("/frontdesk/calls.csv?view=all")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert "attachment" in resp.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][0] == "\ufeffNo." and len(rows) == 3  # a BOM for Excel, a titled header
    cells = [c for row in rows[1:] for c in row]
    assert '\'=HYPERLINK("http://evil")' in cells and "'+cmd" in cells
    assert "'@SUM(A1)" in cells and "'-minus" in cells and "Normal Name" in cells
    assert all(not c.startswith(("=", "+", "-", "@")) for c in cells)


def test_front_desk_card_counts(client, login_as, desk_user, ana, log_call):
    from portal.services import frontdesk

    log_call()  # an open message, today
    overdue = log_call(outcome="callback", callback_due=local_input(timedelta(hours=1)))
    overdue.callback_due_at = overdue.created_at - timedelta(minutes=5)
    log_call(outcome="handled", for_whom="", message="")
    void = log_call(caller_name="Logged twice")
    frontdesk.void_call(void, actor=desk_user, reason="duplicate")
    frontdesk.register_visit(
        actor=desk_user, visitor_name="V", company=None, host="ana@example.com", badge_number=None
    )
    frontdesk.file_request(requester=ana, type="general", title="T", description="D")
    db.session.commit()
    assert frontdesk.desk_summary() == {
        "calls_today": 3,
        "open_messages": 2,
        "overdue": 1,
        "visitors": 1,
        "untriaged": 1,
    }
    login_as(desk_user)
    page = client.get("/").get_data(as_text=True)
    for text in (
        "3 calls today",
        "Open messages: 2",
        "Overdue callbacks: 1",
        "Visitors in the building: 1",
        "Untriaged requests: 1",
    ):
        assert text in page, text


def test_staff_type_ahead_loads_once_and_is_kept_while_the_list_is_the_same(
    client, login_as, desk_user, ana, make_user, app
):
    """The pages carry an empty list that loads its options from a URL naming the list's
    version: the browser keeps the answer; a new colleague (after the minute the data is kept)
    is a new URL; an unchanged list answers a revalidation with 304."""
    login_as(desk_user)
    html = client.get("/frontdesk/").get_data(as_text=True)
    url = re.search(r'<datalist id="staff-list" hx-get="([^"]+)"', html).group(1)
    assert "Ana Santos &lt;ana@example.com&gt;" not in html  # not rendered into the page
    first = client.get(url, headers={"HX-Request": "true"})
    assert first.status_code == 200
    assert 'value="Ana Santos &lt;ana@example.com&gt;"' in first.get_data(as_text=True)
    assert "max-age=" in first.headers["Cache-Control"]
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and again.get_data() == b""

    make_user(roles=["staff"], name="Carla Nova", email="carla@example.com")
    app.extensions.pop("frontdesk.staff_list", None)  # the minute the data is kept has passed
    html = client.get("/frontdesk/").get_data(as_text=True)
    new_url = re.search(r'<datalist id="staff-list" hx-get="([^"]+)"', html).group(1)
    assert new_url != url
    assert "Carla Nova" in client.get(new_url).get_data(as_text=True)
    # The old URL answers the current list, without letting the browser keep it.
    stale = client.get(url)
    assert "Carla Nova" in stale.get_data(as_text=True)
    assert stale.headers["Cache-Control"] == "private, no-cache"
