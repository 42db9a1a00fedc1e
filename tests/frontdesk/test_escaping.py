"""Hostile names stay text: staff names, callers and filter values are escaped wherever the front
desk shows them (the console rows, the staff type-ahead, the filter bar, My messages), and the
markup comes from the Jinja partials, not from Python."""

from __future__ import annotations

import re

import pytest
from markupsafe import Markup

from tests.frontdesk.conftest import HX, call_form

SCRIPT = "<script>alert(1)</script>"
IMG = '"><img src=x onerror=alert(1)>'
RAW = ("<script>alert", "<img src=x", "onerror=alert(1)>")


def _assert_inert(html: str) -> None:
    for raw in RAW:
        assert raw not in html, raw


@pytest.fixture
def hostile_staff(make_user):
    """A receptionist and a colleague whose names and details try to break out of the markup."""
    desk = make_user(
        roles=["back_office", "staff"], name=f"Desk {SCRIPT}", email="desk@example.com"
    )
    colleague = make_user(
        roles=["staff"],
        name=f"Eve {IMG}",
        email="eve@example.com",
        job_title=SCRIPT,
        extension="12<b>",
    )
    return desk, colleague


def _staff_list_url(html: str) -> str:
    """The URL the page's empty ``<datalist>`` loads its options from (htmx, once)."""
    match = re.search(r'<datalist id="staff-list" hx-get="([^"]+)" hx-trigger="load"', html)
    assert match, "no staff type-ahead on the page"
    return match.group(1).replace("&amp;", "&")


def test_staff_type_ahead_escapes_names_and_details(
    client, login_as, hostile_staff, rendered_templates
):
    desk, _ = hostile_staff
    login_as(desk)
    html = client.get("/frontdesk/").get_data(as_text=True)
    assert rendered_templates[-1] == "frontdesk/console.html"
    options = client.get(_staff_list_url(html), headers=HX)
    assert rendered_templates[-1] == "frontdesk/_partials/_staff_datalist.html"
    datalist = options.get_data(as_text=True)
    _assert_inert(datalist)
    # The name and e-mail are one option value, attribute-escaped; the details are its text.
    assert 'value="Eve &#34;&gt;&lt;img src=x onerror=alert(1)&gt; &lt;eve@example.com&gt;"' in (
        datalist
    )
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in datalist and "12&lt;b&gt;" in datalist
    # The same list on the other pages that offer it.
    for path in ("/frontdesk/visitors", "/frontdesk/faxes"):
        page = client.get(path).get_data(as_text=True)
        _assert_inert(page)
        assert "Eve &#34;&gt;&lt;img" in client.get(_staff_list_url(page)).get_data(as_text=True)


def test_hostile_caller_is_escaped_in_console_and_logged_row(client, login_as, hostile_staff):
    desk, _ = hostile_staff
    login_as(desk)
    data = call_form(
        caller_name=IMG,
        company=SCRIPT,
        message=f"{SCRIPT} {IMG}",
        for_whom="eve@example.com",
        outcome="callback",
        callback_due="2030-01-02T10:30",
    )
    created = client.post("/frontdesk/calls", data=data, headers=HX)
    assert created.status_code == 200
    row = created.get_data(as_text=True)
    _assert_inert(row)
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in row
    assert 'id="call-fields"' in row and 'hx-swap-oob="outerHTML"' in row  # fresh fields, oob
    page = client.get("/frontdesk/?view=all").get_data(as_text=True)
    _assert_inert(page)
    assert "<strong>&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</strong>" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "Call back by " in page  # the label's placeholder filled in the template


def test_filter_bar_escapes_what_was_typed(client, login_as, hostile_staff, rendered_templates):
    desk, _ = hostile_staff
    login_as(desk)
    resp = client.get("/frontdesk/", query_string={"who": IMG, "q": SCRIPT, "view": IMG})
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    _assert_inert(html)
    form = html[html.index('<form class="filters call-filters"') :]
    form = form[: form.index("</form>")]
    assert (
        'name="who" list="staff-list" value="&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in form
    )
    assert 'name="q" value="&lt;script&gt;alert(1)&lt;/script&gt;"' in form
    assert '<option value="today" selected>' in form  # an unknown view falls back to today
    # The export link carries the filters URL-encoded.
    assert "who=%22%3E%3Cimg" in form
    # The filter bar belongs to the page; the htmx list fragment does not repeat it.
    rendered_templates.clear()
    frag = client.get("/frontdesk/", query_string={"q": SCRIPT}, headers=HX)
    assert rendered_templates[-1] == "frontdesk/_partials/_call_list.html"
    assert "call-filters" not in frag.get_data(as_text=True)


def test_my_messages_escape_caller_and_colleague_names(client, login_as, hostile_staff):
    desk, eve = hostile_staff
    login_as(desk)
    data = call_form(caller_name=IMG, company=SCRIPT, for_whom="eve@example.com", message=SCRIPT)
    assert client.post("/frontdesk/calls", data=data, headers=HX).status_code == 200
    login_as(eve)
    html = client.get("/frontdesk/messages").get_data(as_text=True)
    _assert_inert(html)
    assert "<strong>&#34;&gt;&lt;img src=x onerror=alert(1)&gt;</strong>" in html
    # "Taken by %(name)s." is filled in the template; the receptionist's name stays text.
    assert "Taken by Desk &lt;script&gt;alert(1)&lt;/script&gt;." in html


def test_row_labels_are_plain_text_and_nothing_is_cached_as_markup(
    app, client, login_as, hostile_staff
):
    from portal.services import frontdesk as desk

    login_as(hostile_staff[0])
    for path in ("/frontdesk/", "/frontdesk/messages", "/frontdesk/visitors"):
        assert client.get(path).status_code == 200
    with app.test_request_context("/", headers={"Accept-Language": "pt-BR"}):
        labels = desk.row_labels()
    for key, value in labels.items():
        assert not isinstance(value, Markup), key
    assert "%(when)s" in labels["call_back_by"] and "%(name)s" in labels["taken_by"]
    for key, value in app.extensions.items():
        assert not isinstance(value, Markup), key
        if isinstance(value, dict):
            assert not any(isinstance(v, Markup) for v in value.values()), key
    assert not [k for k in app.extensions if str(k).startswith("frontdesk_")]
