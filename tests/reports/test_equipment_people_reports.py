"""Equipment and people reports against small data sets computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.models.equipment import Asset, ConsumableUse, Downtime, Reading, Repair
from portal.models.people import Attendance, Course, Employee, TrainingSession
from portal.models.supplies import Supplier, SupplyCategory, SupplyItem
from portal.models.users import Department
from portal.services import reports
from tests.reports.conftest import NOVEMBER, local


@pytest.fixture
def machines(people):
    finance = Department(name="Financeiro")
    vendor = Supplier(name="Copiadoras Paulista", order_email="v@example.com")
    cat = SupplyCategory(name="Toner")
    db.session.add_all([finance, vendor, cat])
    db.session.flush()
    toner = SupplyItem(sku="T1", name="Toner", category_id=cat.id, unit_cost=Decimal("150"))
    copier = Asset(
        asset_tag="CP-01",
        type="copier",
        make="Ricoh",
        model="IM 430",
        department_id=finance.id,
        vendor_id=vendor.id,
        price_mono=Decimal("0.0300"),
        price_colour=Decimal("0.2500"),
        response_hours=8,
    )
    printer = Asset(asset_tag="PR-02", type="printer", make="HP", model="M404")
    db.session.add_all([toner, copier, printer])
    db.session.flush()
    user = people["back"].id
    db.session.add_all(
        [
            # 2,000 mono + 100 colour pages in November; October's reading is not counted.
            Reading(
                asset_id=copier.id,
                read_on=date(2026, 11, 10),
                mono=5000,
                pages_mono=1500,
                pages_colour=60,
            ),
            Reading(
                asset_id=copier.id,
                read_on=date(2026, 11, 25),
                mono=5500,
                pages_mono=500,
                pages_colour=40,
            ),
            Reading(asset_id=copier.id, read_on=date(2026, 10, 25), mono=3500, pages_mono=900),
            Reading(asset_id=printer.id, read_on=date(2026, 11, 20), mono=800, pages_mono=800),
            ConsumableUse(
                asset_id=copier.id,
                item_id=toner.id,
                quantity=1,
                unit_cost=Decimal("150"),
                issued_on=date(2026, 11, 12),
            ),
            # Repair answered in 4 h (visit booked), closed for R$ 200: within the 8 h contract.
            Repair(
                asset_id=copier.id,
                vendor_email="v@example.com",
                requested_by_id=user,
                requested_at=local(2026, 11, 5, 9),
                response_due_at=local(2026, 11, 5, 17),
                promised_visit_at=local(2026, 11, 5, 13),
                status="closed",
                closed_at=local(2026, 11, 6, 9),
                cost=Decimal("200"),
            ),
            # Repair closed after 20 h with no visit booked: late.
            Repair(
                asset_id=copier.id,
                vendor_email="v@example.com",
                requested_by_id=user,
                requested_at=local(2026, 11, 18, 9),
                response_due_at=local(2026, 11, 18, 17),
                status="closed",
                closed_at=local(2026, 11, 19, 5),
                cost=Decimal("0"),
            ),
            Downtime(
                asset_id=copier.id,
                started_at=local(2026, 11, 5, 9),
                ended_at=local(2026, 11, 6, 9),
                minutes=1440,
            ),
            Downtime(
                asset_id=printer.id,
                started_at=local(2026, 11, 21, 9),
                ended_at=local(2026, 11, 21, 12),
                minutes=180,
            ),
        ]
    )
    db.session.commit()
    return {"finance": finance}


def test_cost_per_page_and_downtime_by_machine(app, machines):
    report = reports.build_report("equipment", NOVEMBER)
    rows = report.section("machines").table.rows
    # copier: 2000 x 0,03 + 100 x 0,25 + repairs 200 + toner 150 = 435,00 over 2,100 pages
    assert rows[0][:4] == ["CP-01 · Ricoh IM 430", "Financeiro", 2100, Decimal("435.00")]
    assert rows[0][4] == pytest.approx(Decimal("435") / 2100)
    assert rows[0][5] == 24.0
    assert rows[1][:4] == ["PR-02 · HP M404", "No department", 800, Decimal("0.00")]
    assert rows[1][5] == 3.0
    departments = report.section("departments").table.rows
    assert [r[:4] for r in departments] == [
        ["Financeiro", 1, 2100, Decimal("435.00")],
        ["No department", 1, 800, Decimal("0.00")],
    ]
    only_finance = reports.build_report(
        "equipment", {**NOVEMBER, "department": str(machines["finance"].id)}
    )
    assert len(only_finance.section("machines").table.rows) == 1


def test_repairs_by_vendor_against_the_contract(app, machines):
    (row,) = reports.build_report("equipment", NOVEMBER).section("vendors").table.rows
    assert row[0] == "Copiadoras Paulista"
    assert row[1] == 2
    assert row[2] == pytest.approx(12.0)  # (4 h + 20 h) / 2
    assert row[3] == 8.0
    assert row[4] == 0.5
    assert row[5] == Decimal("200")


@pytest.fixture
def staff_records():
    dept = Department(name="Administrativo")
    db.session.add(dept)
    db.session.flush()

    def employee(name, start, last=None, status="active"):
        row = Employee(
            name=name,
            position="Analista",
            start_date=start,
            last_day=last,
            status=status,
            department_id=dept.id,
        )
        db.session.add(row)
        return row

    ana = employee("Ana", date(2025, 3, 1))
    bia = employee("Bia", date(2026, 10, 15))
    employee("Caio", date(2024, 1, 1), date(2026, 10, 31), "left")
    dani = employee("Dani", date(2026, 11, 3))
    employee("Edu", date(2023, 5, 1), date(2026, 11, 20), "left")
    course = Course(title="NR-23 Prevenção de incêndio", mandatory=True, validity_months=12)
    optional = Course(title="Excel", mandatory=False)
    db.session.add_all([course, optional])
    db.session.flush()
    session = TrainingSession(course_id=course.id, held_on=date(2026, 6, 1))
    db.session.add(session)
    db.session.flush()
    db.session.add_all(
        [
            Attendance(
                session_id=session.id,
                employee_id=ana.id,
                attended=True,
                expires_on=date(2027, 6, 1),
            ),
            Attendance(
                session_id=session.id,
                employee_id=bia.id,
                attended=True,
                expires_on=date(2026, 11, 15),
            ),
            Attendance(session_id=session.id, employee_id=dani.id, attended=False),
        ]
    )
    db.session.commit()
    return dept


def test_headcount_hires_exits_and_training(app, staff_records):
    report = reports.build_report(
        "people", {"period": "custom", "from": "2026-10-01", "to": "2026-11-30", "compare": "1"}
    )
    assert report.section("headcount").table.rows == [
        ["Oct 2026", 4, 1, 1],  # Ana, Bia, Edu and Caio (31 Oct is his last day); Bia hired
        ["Nov 2026", 3, 1, 1],  # Ana, Bia, Dani; Dani hired, Edu left
    ]
    headcount = report.section("headcount").figures[0]
    assert headcount.value == 3
    # On 30 Nov: Ana, Bia, Dani in post; only Ana's training is valid (Bia's expired on 15 Nov).
    assert report.section("training").table.rows == [
        ["NR-23 Prevenção de incêndio", 1, 2, pytest.approx(1 / 3)]
    ]


def test_hr_reports_only_to_hr(app, client, people, login_as, machines, staff_records):
    login_as(people["manager"])
    assert client.get("/reports/equipment?" + "period=3m").status_code == 200
    assert client.get("/reports/people").status_code == 403
    login_as(people["hr"])
    assert client.get("/reports/people").status_code == 200
    assert client.get("/reports/equipment").status_code == 403
    login_as(people["staff"])
    assert client.get("/reports/people").status_code == 403
