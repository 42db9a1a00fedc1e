"""Report pages, charts and exports over HTTP: who may see them, CSP, exports, query counts."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import insert

from portal.extensions import db
from portal.models.frontdesk import Call
from portal.web import CSP
from tests.reports.conftest import local

NOV = "period=custom&from=2026-11-01&to=2026-11-30"
PAGES = {
    "frontdesk": ("calls", "hours", "callbacks", "open", "requests"),
    "supplies": ("spend", "stock", "moving", "lead", "approvals", "suggestions"),
    "recruiting": ("funnel", "hire", "stages", "sources", "interviews"),
    "equipment": ("machines", "departments", "vendors"),
    "people": ("headcount", "training"),
}
ALLOWED = {
    "staff": set(),
    "back": {"frontdesk", "supplies", "equipment"},
    "manager": {"frontdesk", "supplies", "equipment"},
    "hr": {"recruiting", "people"},
    "admin": set(),
}


def _calls(n: int, recipient: int, start=None) -> None:
    start = start or local(2026, 11, 2, 8)
    db.session.execute(
        insert(Call),
        [
            {
                "caller_name": f"Caller {i}",
                "outcome": "callback" if i % 2 else "message",
                "status": "open",
                "direction": "in",
                "urgent": False,
                "recipient_id": recipient,
                "created_at": start + timedelta(hours=7 * i),
                "callback_due_at": start + timedelta(hours=7 * i + 2) if i % 2 else None,
            }
            for i in range(n)
        ],
    )
    db.session.commit()


@pytest.mark.parametrize("who", sorted(ALLOWED))
def test_who_may_see_each_report(app, client, people, login_as, who):
    login_as(people[who])
    for name, sections in PAGES.items():
        expected = 200 if name in ALLOWED[who] else 403
        assert client.get(f"/reports/{name}?{NOV}").status_code == expected, name
        export = client.get(f"/reports/{name}/export/{sections[0]}.csv?{NOV}")
        assert export.status_code == expected, name
        chart = client.get(f"/reports/{name}/chart/{sections[0]}.svg?{NOV}")
        # allowed: no data in November yet, so the chart does not exist (404), never 403
        assert (chart.status_code == 403) == (expected == 403), name
    index = client.get("/reports/")
    assert index.status_code == 200
    body = index.get_data(as_text=True)
    for name in PAGES:
        assert (f'href="/reports/{name}"' in body) == (name in ALLOWED[who])
    assert ("Monthly summary by e-mail" in body) == (who in ("manager", "hr"))


def test_anonymous_goes_to_login(client):
    response = client.get(f"/reports/frontdesk?{NOV}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    htmx = client.get("/reports/frontdesk/chart/calls.svg", headers={"HX-Request": "true"})
    assert htmx.status_code == 401


def test_chart_is_a_script_free_svg_with_its_own_csp(app, client, people, login_as):
    login_as(people["back"])
    _calls(12, people["back"].id)
    page = client.get(f"/reports/frontdesk?{NOV}")
    html = page.get_data(as_text=True)
    # The page keeps the portal's CSP and carries no inline style or script for the charts.
    assert page.headers["Content-Security-Policy"] == CSP
    assert "<style" not in html and " style=" not in html
    assert all("src=" in tag for tag in html.split("<script")[1:])
    assert "/reports/frontdesk/chart/calls.svg?period=custom" in html
    assert "w=narrow" in html  # the phone variant, chosen by <picture>, without JavaScript
    for key in ("calls", "hours", "callbacks", "open"):
        for narrow in ("", "&w=narrow"):
            svg = client.get(f"/reports/frontdesk/chart/{key}.svg?{NOV}{narrow}")
            assert svg.status_code == 200, key
            assert svg.mimetype == "image/svg+xml"
            assert "script-src" not in svg.headers["Content-Security-Policy"]
            assert "default-src 'none'" in svg.headers["Content-Security-Policy"]
            text = svg.get_data(as_text=True)
            assert "<script" not in text.lower(), key
            root = ET.fromstring(text)  # well-formed
            assert root.tag.endswith("svg")


def test_category_labels_are_whole_in_the_chart(app, client, people, login_as):
    from decimal import Decimal

    from portal.models.supplies import SupplyCategory, SupplyItem

    long_name = "Material de escritório, papelaria e suprimentos de impressão"
    cat = SupplyCategory(name=long_name, monthly_budget=Decimal("10"))
    db.session.add(cat)
    db.session.flush()
    db.session.add(
        SupplyItem(sku="X", name="X", category_id=cat.id, unit_cost=Decimal("3"), on_hand=2)
    )
    db.session.commit()
    login_as(people["manager"])
    for narrow in ("", "&w=narrow"):
        svg = client.get(f"/reports/supplies/chart/stock.svg?{NOV}{narrow}").get_data(as_text=True)
        texts = " ".join(t.text or "" for t in ET.fromstring(svg).iter() if t.tag.endswith("text"))
        assert " ".join(texts.split()).count(long_name) == 1 or all(
            word in texts for word in long_name.split()
        )
        assert "…" not in texts


def test_exports_hold_the_table(app, client, people, login_as):
    login_as(people["back"])
    _calls(3, people["back"].id)  # 2 Nov 08:00, 15:00, 22:00 local
    response = client.get(f"/reports/frontdesk/export/calls.csv?{NOV}")
    assert response.mimetype == "text/csv"
    assert "frontdesk-calls-20261101-20261130.csv" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows == [["Day", "Calls"], ["Nov 2", "3"]]
    xlsx = client.get(f"/reports/frontdesk/export/callbacks.xlsx?{NOV}")
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert values[0] == ["Person", "On time", "Late", "Overdue", "Not yet due", "On-time share"]
    assert values[1] == ["Bruno Back", 0, 0, 1, 0, 0]
    assert sheet.cell(row=3, column=6).number_format == "0.0%"


def test_compare_with_the_previous_period(app, client, people, login_as):
    login_as(people["back"])
    _calls(4, people["back"].id)  # November
    _calls(2, people["back"].id, start=local(2026, 10, 10, 9))  # October
    html = client.get(f"/reports/frontdesk?{NOV}&compare=1").get_data(as_text=True)
    assert "compared with Oct 2, 2026 to Oct 31, 2026" in html
    assert "Previous period: 2 (+100%)" in html


def test_bad_custom_dates_answer_422_next_to_the_field(app, client, people, login_as):
    login_as(people["back"])
    response = client.get("/reports/frontdesk?period=custom&from=2026-11-30&to=2026-11-01")
    assert response.status_code == 422
    assert "The end date must not be before the start date." in response.get_data(as_text=True)


def test_htmx_gets_the_fragment(app, client, people, login_as, rendered_templates):
    login_as(people["back"])
    client.get(f"/reports/frontdesk?{NOV}", headers={"HX-Request": "true"})
    assert rendered_templates[0] == "reports/_partials/_report.html"


def _seed(n: int, user_id: int, offset: int) -> None:
    """n calls, requests, orders, stock issues and applications (with timelines) in November."""
    from decimal import Decimal

    from portal.models.frontdesk import StaffRequest
    from portal.models.recruiting import Application, ApplicationEvent, Candidate, Opening
    from portal.models.supplies import (
        PurchaseOrder,
        StockMovement,
        Supplier,
        SupplyCategory,
        SupplyItem,
    )

    _calls(n, user_id, start=local(2026, 11, 2 + offset, 1))
    cat = SupplyCategory(name=f"Cat {offset}", monthly_budget=Decimal("100"))
    supplier = Supplier(name=f"Sup {offset}", order_email="s@example.com")
    opening = Opening(title=f"Opening {offset}", status="open")
    db.session.add_all([cat, supplier, opening])
    db.session.flush()
    for i in range(n):
        at = local(2026, 11, 3 + offset, 9) + timedelta(hours=i)
        item = SupplyItem(sku=f"S{offset}-{i}", name=f"Item {i}", category_id=cat.id, on_hand=5)
        candidate = Candidate(name=f"Cand {offset}-{i}")
        db.session.add_all([item, candidate])
        db.session.flush()
        application = Application(opening_id=opening.id, candidate_id=candidate.id, created_at=at)
        db.session.add_all(
            [
                application,
                StockMovement(item_id=item.id, kind="issue", quantity=-1, at=at),
                PurchaseOrder(
                    supplier_id=supplier.id,
                    category_id=cat.id,
                    total=Decimal("10"),
                    status="sent",
                    requester_id=user_id,
                    created_at=at,
                    submitted_at=at,
                    approved_at=at,
                    sent_at=at,
                ),
                StaffRequest(
                    type="general", title="t", description="d", requester_id=user_id, created_at=at
                ),
            ]
        )
        db.session.flush()
        db.session.add_all(
            [
                ApplicationEvent(application_id=application.id, kind="applied", at=at, details={}),
                ApplicationEvent(
                    application_id=application.id,
                    kind="stage",
                    at=at + timedelta(days=1),
                    details={"old": "new", "new": "screened"},
                ),
            ]
        )
    db.session.commit()


@pytest.mark.parametrize("name", sorted(PAGES))
def test_query_count_does_not_grow_with_the_data(
    app, client, people, login_as, count_queries, name
):
    user = people["hr"] if name in ("recruiting", "people") else people["back"]
    login_as(user)
    _seed(3, user.id, 0)
    client.get(f"/reports/{name}?{NOV}")  # warm up: per-process caches, first sign-in work
    with count_queries() as few:
        assert client.get(f"/reports/{name}?{NOV}&compare=1").status_code == 200
    _seed(60, user.id, 1)
    with count_queries() as many:
        assert client.get(f"/reports/{name}?{NOV}&compare=1").status_code == 200
    assert many.count == few.count
    assert few.count <= 25
    # Closed days read from the daily rollups: still the same number of queries.
    from datetime import date

    from portal.services import reports

    with app.app_context():
        reports.rebuild_rollups(today=date(2026, 11, 20))
        db.session.commit()
    with count_queries() as rolled:
        assert client.get(f"/reports/{name}?{NOV}&compare=1").status_code == 200
    assert rolled.count == few.count


def test_dashboard_shows_each_role_its_charts(app, client, people, login_as):
    from portal.models.base import utcnow

    _calls(3, people["back"].id, start=utcnow() - timedelta(minutes=5))
    login_as(people["manager"])
    html = client.get("/").get_data(as_text=True)
    assert "/reports/frontdesk/chart/calls.svg?w=narrow&amp;period=month" in html
    assert 'href="/reports/supplies?period=12m"' in html
    assert "/reports/recruiting/chart/" not in html
    assert "<style" not in html and " style=" not in html
    login_as(people["hr"])
    html = client.get("/").get_data(as_text=True)
    assert 'href="/reports/recruiting?period=3m"' in html
    assert "/reports/frontdesk/chart/" not in html and "/reports/supplies" not in html
    login_as(people["staff"])
    html = client.get("/").get_data(as_text=True)
    assert "/reports/" not in html


def test_hostile_names_are_escaped_in_charts(app, client, people, login_as, make_user):
    evil = make_user(roles=["staff"], name='<script>alert("x")</script> & Cia')
    _calls(3, evil.id)
    login_as(people["back"])
    for key in ("callbacks", "open"):
        svg = client.get(f"/reports/frontdesk/chart/{key}.svg?{NOV}")
        assert svg.status_code == 200
        text = svg.get_data(as_text=True)
        assert "<script" not in text and "&lt;script&gt;" in text
        ET.fromstring(text)


def test_long_tables_show_their_first_rows_and_the_export_has_all(app, client, people, login_as):
    """A section with more rows than its page limit lists the first ones and says so; the
    CSV holds every row."""
    from portal.services.reports import equipment as equipment_report
    from portal.services.reports.base import Column, Report, Section, Table
    from portal.services.reports.exports import section_csv
    from portal.services.reports.periods import from_args

    rows = [[f"EQ-{i:03d}", i] for i in range(120)]
    section = Section("machines", "Machines", "-", Table([Column("M"), Column("N", "int")], rows))
    section.page_rows = equipment_report.PAGE_ROWS
    with app.test_request_context("/reports/equipment"):
        from flask import render_template

        period = from_args({"period": "custom", "from": "2026-11-01", "to": "2026-11-30"})
        html = render_template(
            "reports/_partials/_section.html",
            report=Report("equipment", "Equipment", period, None, [section]),
            section=section,
            chart_args={},
        )
    assert f"EQ-{equipment_report.PAGE_ROWS - 1:03d}" in html
    assert f"EQ-{equipment_report.PAGE_ROWS:03d}" not in html
    assert "The first 50 of 120 rows" in html
    assert "EQ-119" in section_csv(section)
