"""Meter readings and the cost-per-page arithmetic, against a worked example."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.errors import ValidationError
from portal.extensions import db
from portal.models.equipment import ConsumableUse, Reading
from portal.services import equipment
from tests.equipment.conftest import HX, reading


def test_reading_lower_than_previous_is_refused(client, login_as, office, make_asset):
    asset = make_asset()
    reading(asset, office, date(2026, 1, 5), 10_000)
    login_as(office)
    resp = client.post(
        f"/equipment/{asset.id}/readings",
        data={"read_on": "2026-02-05", "mono": "9000"},
        headers=HX,
    )
    assert resp.status_code == 422
    body = resp.get_data(as_text=True)
    assert 'id="mono-error"' in body and "cannot go down" in body and "10000" in body
    assert db.session.scalar(db.select(db.func.count(Reading.id))) == 1
    # ... unless the counter was replaced: then the new counter is the pages since
    resp = client.post(
        f"/equipment/{asset.id}/readings",
        data={"read_on": "2026-02-05", "mono": "900", "counter_replaced": "y"},
        headers=HX,
    )
    assert resp.status_code == 200
    last = equipment.last_reading(asset.id)
    assert (last.mono, last.pages_mono, last.counter_replaced) == (900, 900, True)


def test_reading_form_comes_on_demand(client, login_as, office, staff, make_asset):
    asset = make_asset()
    reading(asset, office, date(2026, 1, 5), 10_000)
    login_as(office)
    page = client.get(f"/equipment/{asset.id}").get_data(as_text=True)
    assert 'id="new-reading"' in page and 'id="reading-form"' not in page
    assert "10,000" in page  # the last reading, its counter formatted once in the view
    # htmx: the readings panel with the form; without htmx: the whole page with it
    panel = client.get(f"/equipment/{asset.id}/readings/new", headers=HX)
    body = panel.get_data(as_text=True)
    assert panel.status_code == 200 and 'id="reading-form"' in body
    assert body.lstrip().startswith('<section class="panel" id="asset-readings">')
    full = client.get(f"/equipment/{asset.id}/readings/new").get_data(as_text=True)
    assert "<html" in full and 'id="reading-form"' in full and 'id="asset-faults"' in full
    # after a good reading the panel shows it, and the link again
    resp = client.post(
        f"/equipment/{asset.id}/readings",
        data={"read_on": "2026-02-05", "mono": "12500"},
        headers=HX,
    )
    assert resp.status_code == 200
    body = resp.get_data(as_text=True)
    assert "12,500" in body and "2,500" in body and 'id="new-reading"' in body
    login_as(staff)
    assert client.get(f"/equipment/{asset.id}/readings/new").status_code == 403


def test_reading_dated_before_the_last_is_refused(office, make_asset):
    asset = make_asset()
    reading(asset, office, date(2026, 3, 1), 100)
    with pytest.raises(ValidationError) as error:
        equipment.add_reading(asset, actor=office, read_on=date(2026, 2, 1), mono=200)
    assert error.value.field == "read_on"
    db.session.rollback()


def test_only_machines_with_a_counter_take_readings(client, login_as, office, make_asset):
    laptop = make_asset(type="laptop", make="Dell", model="Latitude")
    login_as(office)
    resp = client.post(f"/equipment/{laptop.id}/readings", data={"mono": "5"})
    assert resp.status_code == 409


def test_cost_per_page_worked_example(office, make_asset, toner, department):
    """Worked example over three months (Jan-Mar 2026, "today" = 31 Mar 2026):

    readings: 1 Jan mono 10,000 colour 2,000 (the baseline: 0 pages)
              1 Feb mono 13,000 colour 2,500 -> 3,000 mono + 500 colour
              1 Mar mono 17,000 colour 3,500 -> 4,000 mono + 1,000 colour
    pages: 7,000 mono + 1,500 colour = 8,500
    contract: 7,000 x R$ 0.0300 + 1,500 x R$ 0.2000 = 210.00 + 300.00 = R$ 510.00
    consumables: one toner at R$ 300.00 (issued 10 Feb)
    total R$ 810.00; per page 810 / 8,500 = R$ 0.0953 (0.09529...); per month 810 / 3 = R$ 270.00
    """
    asset = make_asset(department_id=department.id, price_mono="0,03", price_colour="0.2000")
    reading(asset, office, date(2026, 1, 1), 10_000, 2_000)
    reading(asset, office, date(2026, 2, 1), 13_000, 2_500)
    reading(asset, office, date(2026, 3, 1), 17_000, 3_500)
    db.session.add(
        ConsumableUse(
            asset_id=asset.id,
            item_id=toner.id,
            quantity=1,
            unit_cost=Decimal("300.00"),
            issued_on=date(2026, 2, 10),
        )
    )
    db.session.commit()
    today = date(2026, 3, 31)
    cost = equipment.costs_for([asset.id], months=3, today=today)[asset.id]
    assert (cost.pages_mono, cost.pages_colour, cost.pages) == (7_000, 1_500, 8_500)
    assert cost.contract == Decimal("510.00")
    assert cost.consumables == Decimal("300.00")
    assert cost.total == Decimal("810.00")
    assert cost.per_page == Decimal("0.0953")
    assert cost.per_month == Decimal("270.00")
    months = equipment.pages_per_month(asset.id, months=3, today=today)
    assert [(m.month, m.total) for m in months] == [
        (date(2026, 1, 1), 0),
        (date(2026, 2, 1), 3_500),
        (date(2026, 3, 1), 5_000),
    ]
    (dept,) = equipment.costs_by_department(months=3, today=today)
    assert dept.department == "Financeiro" and dept.machines == 1
    assert (dept.cost.pages, dept.cost.total, dept.cost.per_page) == (
        8_500,
        Decimal("810.00"),
        Decimal("0.0953"),
    )


def test_cost_page_shows_money_in_pt_br(client, login_as, manager, make_asset, office):
    asset = make_asset(price_mono="0.05")
    today = equipment.today_local()
    reading(asset, office, today.replace(day=1), 1_000)
    reading(asset, office, today, 3_000)
    manager.locale = "pt_BR"
    db.session.commit()
    login_as(manager)
    body = client.get("/equipment/costs").get_data(as_text=True)
    assert "R$\xa0100,00" in body  # 2,000 pages x R$ 0,05
    assert "R$\xa00,0500" in body  # per page


def test_readings_due(office, make_asset):
    asset = make_asset()
    other = make_asset()
    reading(asset, office, equipment.today_local(), 100)
    due = equipment.due_for_reading()
    assert [r.id for r in due] == [other.id]


def test_department_costs_fragment_and_page(
    client, login_as, manager, make_asset, office, department
):
    asset = make_asset(price_mono="0.05", department_id=department.id)
    today = equipment.today_local()
    reading(asset, office, today.replace(day=1), 1_000)
    reading(asset, office, today, 3_000)
    login_as(manager)
    page = client.get("/equipment/costs").get_data(as_text=True)
    assert 'hx-get="/equipment/costs/departments?months=12"' in page  # loads after the page
    fragment = client.get("/equipment/costs/departments", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in body
    assert "Financeiro" in body and "R$100.00" in body.replace("\xa0", "")
    full = client.get("/equipment/costs/departments?months=3").get_data(as_text=True)
    assert "<html" in full and "Financeiro" in full
