"""Recruiting report figures against a small data set computed by hand."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models.recruiting import (
    Application,
    ApplicationEvent,
    Candidate,
    CVFile,
    Interview,
    Opening,
)
from portal.models.users import Department
from portal.services import reports
from tests.reports.conftest import NOVEMBER, local


@pytest.fixture
def hiring(people, make_user):
    dept = Department(name="Administrativo")
    db.session.add(dept)
    db.session.flush()
    opening = Opening(
        title="Assistente administrativo(a) bilíngue", department_id=dept.id, status="open"
    )
    other = Opening(title="Recepcionista", status="open")
    db.session.add_all([opening, other])
    db.session.flush()

    def apply(name, created, stage, target=opening):
        candidate = Candidate(name=name)
        db.session.add(candidate)
        db.session.flush()
        app_row = Application(
            opening_id=target.id, candidate_id=candidate.id, stage=stage, created_at=created
        )
        db.session.add(app_row)
        db.session.flush()
        db.session.add(
            ApplicationEvent(application_id=app_row.id, kind="applied", at=created, details={})
        )
        return app_row

    def event(app_row, kind, at, **details):
        db.session.add(
            ApplicationEvent(application_id=app_row.id, kind=kind, at=at, details=details)
        )

    first = apply("Carla", local(2026, 11, 2), "hired")
    event(first, "stage", local(2026, 11, 4), old="new", new="screened")
    event(first, "stage", local(2026, 11, 7), old="screened", new="interview")
    event(first, "hired", local(2026, 11, 12), old="interview")
    second = apply("Davi", local(2026, 11, 3), "rejected")
    event(second, "stage", local(2026, 11, 5), old="new", new="screened")
    event(second, "stage", local(2026, 11, 6), old="screened", new="rejected")
    apply("Elisa", local(2026, 11, 20), "new")
    apply("Fábio", local(2026, 10, 20), "new")  # previous period
    apply("Gil", local(2026, 11, 21), "new", target=other)
    db.session.add(
        CVFile(
            opening_id=opening.id,
            application_id=first.id,
            batch="b1",
            stored_name="x1",
            original_name="carla.pdf",
            size=10,
            kind="pdf",
            content_type="application/pdf",
            sha256="0" * 64,
        )
    )
    xavier = make_user(roles=["hr_manager"], name="Xavier Entrevistador")
    yara = make_user(roles=["back_office"], name="Yara Entrevistadora")

    def interview(uid, app_row, start, interviewers, status="scheduled"):
        row = Interview(
            application_id=app_row.id, uid=uid, start_at=start, end_at=start, status=status
        )
        row.interviewers = interviewers
        db.session.add(row)

    interview("i1", first, local(2026, 11, 9, 10), [xavier, yara])  # week of Mon 9 Nov
    interview("i2", second, local(2026, 11, 13, 15), [xavier])  # Friday, same week
    interview("i3", first, local(2026, 11, 16, 10), [xavier])  # week of 16 Nov
    interview("i4", second, local(2026, 11, 17, 10), [yara], status="cancelled")
    db.session.commit()
    return {"opening": opening, "other": other, "department": dept}


def test_funnel_with_conversion(app, hiring):
    report = reports.build_report("recruiting", NOVEMBER)
    funnel = report.section("funnel")
    assert funnel.table.rows == [
        ["Assistente administrativo(a) bilíngue", 3, 2, 1, 1, 1, 1, pytest.approx(1 / 3)],
        ["Recepcionista", 1, 0, 0, 0, 0, 0, 0.0],
    ]
    assert funnel.chart.series[0][1] == [4, 2, 1, 1, 1, 1]
    assert funnel.note[0][1:] == (2, 0.5) or funnel.note[0][1:] == [2, 0.5]


def test_time_to_hire_and_in_stage(app, hiring):
    report = reports.build_report("recruiting", {**NOVEMBER, "compare": "1"})
    assert report.section("hire").table.rows == [["Assistente administrativo(a) bilíngue", 1, 10.0]]
    assert report.section("hire").figures[0].value == 10.0
    assert report.section("stages").table.rows == [
        ["New", 2, 2.0],
        ["Screened", 2, 2.0],
        ["Interview", 1, 5.0],
    ]


def test_sources_and_interviews_per_week(app, hiring):
    report = reports.build_report("recruiting", {**NOVEMBER, "compare": "1"})
    sources = report.section("sources")
    assert sources.table.rows == [
        ["CV upload", 1, 0.25, 0],
        ["Entered by hand", 3, 0.75, 1],
    ]
    interviews = report.section("interviews")
    assert interviews.table.rows == [
        ["Nov 9", "Xavier Entrevistador", 2],
        ["Nov 9", "Yara Entrevistadora", 1],
        ["Nov 16", "Xavier Entrevistador", 1],
    ]
    assert interviews.figures[0].value == 4


def test_opening_and_department_filters(app, hiring):
    by_opening = reports.build_report(
        "recruiting", {**NOVEMBER, "opening": str(hiring["other"].id)}
    )
    assert [r[0] for r in by_opening.section("funnel").table.rows] == ["Recepcionista"]
    assert by_opening.section("interviews").empty
    by_dept = reports.build_report(
        "recruiting", {**NOVEMBER, "department": str(hiring["department"].id)}
    )
    assert [r[0] for r in by_dept.section("funnel").table.rows] == [
        "Assistente administrativo(a) bilíngue"
    ]
