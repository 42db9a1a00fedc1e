"""The walk's world: HR records carrying a unique sentinel in every HR-only field, the callers
who may not read them, and the helpers that call every route of the HR areas as those callers.

Used by ``test_hr_privacy`` (nothing leaks) and ``test_hr_hardening`` (no-store, audit).
"""

from __future__ import annotations

import hashlib
import io
import secrets
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest
from flask import url_for

from portal.extensions import db
from portal.models.base import utcnow
from portal.security import PERMISSIONS, ROLES, access_of
from tests.recruiting.cvs import REQUIREMENTS

TZ = ZoneInfo("America/Sao_Paulo")
AREAS = ("recruiting.", "people.")

# Roles that may see HR records; every other role is "non-HR" for the walk.  (Today: hr_manager
# and admin, who holds hr.candidates.view and hr.employees.view for support.)
HR_VIEW_PERMISSIONS = ("hr.candidates.view", "hr.employees.view")
HR_ROLES = frozenset(r for p in HR_VIEW_PERMISSIONS for r in PERMISSIONS[p])
NON_HR_ROLES = tuple(r for r in ROLES if r not in HR_ROLES)

SENTINELS = {
    "CV quote (must-have)": "SntlQuoteAlpha4821",
    "CV quote (nice-to-have)": "SntlQuoteDelta4821",
    "CV text": "SntlCvTextOnly4821",
    "candidate e-mail": "sntl.candidate.4821@example.org",
    "candidate phone": "+5511987654821",
    "scorecard notes (HR)": "SntlScoreNoteHr4821",
    "interviewer notes": "SntlInterviewerNote4821",
    "stage reason (feedback)": "SntlFeedbackReason4821",
    "timeline reason": "SntlTimelineReason4821",
    "employee e-mail": "sntl.employee.4821@example.org",
    "employee phone": "+5511912344821",
    "CV file content": "SntlCvFileBody4821",
    # people: the employee record's HR-only fields, discipline, documents
    "employee CPF": "52998224725",
    "employee CPF (formatted)": "529.982.247-25",
    "employee salary": "48,213.77",
    "salary history": "SntlSalaryOld4821",
    "employee address": "SntlAddress4821",
    "emergency contact": "SntlEmergency4821",
    "warning facts": "SntlWarningFacts4821",
    "employee document content": "SntlDocumentBody4821",
}

CV_TEXT = f"""Sentinel Candidate
Experience
Analyst, Acme, 01/2015 - 12/2020
Bank reconciliation for {SENTINELS["CV quote (must-have)"]} ledgers, Excel models,
accounts payable teams. SAP FI and SQL {SENTINELS["CV quote (nice-to-have)"]} reports.
English fluent.
{"Filler line without requirements. " * 12}
{SENTINELS["CV text"]}
"""

INVALID = {
    "start": "not a time",
    "duration": "-5",
    "interviewers": "abc",
    "location": "x" * 500,
    "stage": "nonsense",
    "reason": "x",
    "action": "zap",
    "ids": "x",
    "slot": "not-a-slot",
    "name": "",
    "email": "not-an-email",
    "phone": "12",
    "locale": "xx",
    "technical": "9",
    "recommendation": "maybe",
    "start0": "25:99",
    "end0": "nope",
    "status": "bogus",
    "page": "-3",
    "blind": "1",
    "min_score": "abc",
    "start_date": "yesterday",
    "form_token": "!!",
    "cpf": "123.456.789-00",
    "level": "bogus",
    "facts": "x",
    "occurred_on": "nope",
    "suspension_days": "-1",
    "notice_on": "nope",
    "last_day": "nope",
    "answer": "maybe",
    "held_on": "nope",
    "validity_months": "0",
    "contract_type": "freela",
    "salary": "-5",
    "password": "x",
}


def local_time(n: int) -> str:
    """The n-th distinct future time (a working-day afternoon, local time) for a valid form."""
    today = datetime.now(TZ).date()
    monday = today + timedelta(days=(7 - today.weekday()) % 7 or 7) + timedelta(weeks=2)
    day = monday + timedelta(days=(n // 6) % 5, weeks=n // 30)
    return datetime(day.year, day.month, day.day, 10 + n % 6, 0).strftime("%Y-%m-%dT%H:%M")


# Valid input for each route that takes any (GET routes without one read no input).
VALID: dict[str, Callable[[dict[str, Any], int], dict[str, Any]]] = {
    "recruiting.index": lambda s, n: {"status": "open"},
    "recruiting.opening": lambda s, n: {"stage": "active"},
    "recruiting.upload_post": lambda s, n: {
        "files": [(io.BytesIO(b"Excel and SQL, 2015 - 2020.\n"), f"cv-{n}.txt")]
    },
    "recruiting.create_candidate": lambda s, n: {
        "name": f"New Person {n}",
        "email": f"new{n}@example.com",
        "phone": "",
        "locale": "en",
        "cv_text": "Excel, accounts payable.",
    },
    "recruiting.create_opening": lambda s, n: {
        "title": "Opening",
        "status": "open",
        "must_haves": "Excel",
        "min_years": "0",
    },
    "recruiting.update_opening": lambda s, n: {
        "title": "Analista financeiro",
        "status": "open",
        "must_haves": "Excel",
        "min_years": "0",
        "interviewer_ids": [str(s["hr_id"]), str(s["colleague_id"])],
    },
    "recruiting.bulk_reject": lambda s, n: {"ids": [], "reason": "x"},
    "recruiting.stage": lambda s, n: {"stage": "offer", "reason": ""},
    "recruiting.duplicate": lambda s, n: {"action": "keep"},
    "recruiting.hire": lambda s, n: {
        "start_date": "2030-01-02",
        "position": "Analyst",
        "confirm_early": "y",
    },
    "recruiting.reveal": lambda s, n: {},
    "recruiting.export_candidates": lambda s, n: {"stage": "all", "format": "csv"},
    "people.employees_export": lambda s, n: {"q": "sentinel", "status": "active"},
    "recruiting.booking_link": lambda s, n: {},
    "recruiting.create_interview": lambda s, n: {
        "start": local_time(n),
        "duration": "30",
        "interviewers": [str(s["hr_id"])],
        "location": "Room 1",
    },
    "recruiting.reschedule": lambda s, n: {"start": local_time(n), "duration": "30"},
    "recruiting.cancel": lambda s, n: {},
    "recruiting.scorecard": lambda s, n: {
        "technical": "4",
        "communication": "4",
        "problem_solving": "3",
        "culture": "5",
        "recommendation": "yes",
        "notes": "Clear answers.",
    },
    "recruiting.availability": lambda s, n: {
        **{f"start{d}": "08:00" for d in range(7)},
        **{f"end{d}": "19:00" for d in range(7)},
    },
    "recruiting.slots": lambda s, n: {"start": local_time(n), "duration": "30"},
    "recruiting.book": lambda s, n: {"slot": str(s["slot_id"])},
    # people (people.update replaces the sentinels: it runs last, see RUN_LAST)
    "people.index": lambda s, n: {"q": "sentinel"},
    "people.employees": lambda s, n: {"q": "sentinel", "status": "active"},
    "people.create": lambda s, n: {
        "name": f"New Employee {n}",
        "position": "Analyst",
        "contract_type": "clt",
        "start_date": "2030-01-02",
    },
    "people.update": lambda s, n: {
        "name": "Sentinel Candidate",
        "position": "Analyst",
        "contract_type": "clt",
        "start_date": "2030-01-02",
        "cpf": "111.444.777-35",
        "salary": "1000.00",
    },
    "people.upload_document": lambda s, n: {},
    "people.create_account": lambda s, n: {"email": f"account{n}@priv.test"},
    "people.start_onboarding": lambda s, n: {},
    "people.task": lambda s, n: {"done": "1"},
    "people.acknowledge": lambda s, n: {"answer": "agree"},
    "people.refusal": lambda s, n: {"witness": "Wanda Witness"},
    "people.welcome": lambda s, n: {"password": "Quarto-Azul-Mesa-77"},
    "people.create_warning": lambda s, n: {
        "level": "verbal",
        "occurred_on": "2025-01-02",
        "facts": "Late three times this week.",
    },
    "people.terminate": lambda s, n: {
        "reason": "resignation",
        "notice_on": "2030-02-01",
        "last_day": "2030-03-01",
    },
    "people.export": lambda s, n: {},
    "people.anonymise": lambda s, n: {},
    "people.create_course": lambda s, n: {"title": f"Course {n}", "validity_months": "12"},
    "people.add_session": lambda s, n: {"held_on": "2030-01-10", "place": "Room 2"},
    "people.attendance": lambda s, n: {"attended": "1"},
    "people.create_checklist_template": lambda s, n: _checklist_template(n),
    "people.update_checklist_template": lambda s, n: _checklist_template(n),
    "people.save_retention": lambda s, n: {
        "candidates": "6",
        "consent": "12",
        "employees": "60",
        "discipline": "60",
        "calls": "12",
        "visits": "12",
    },
    "people.run_retention": lambda s, n: {},
    "people.record_consent": lambda s, n: {"agreed": "y"},
    "people.withdraw_consent": lambda s, n: {},
    "people.hand_over": lambda s, n: {"handover_to": str(s["colleague_id"])},
    "people.export_subject_request": lambda s, n: {"q": "Sentinel"},
    "people.anonymise_subject_request": lambda s, n: {"q": "Sentinel"},
}


def _checklist_template(n: int) -> dict[str, Any]:
    return {
        "kind": "onboarding",
        "position": f"Position {n}",
        "department_id": "",
        "steps-0-title": "Hand over the badge",
        "steps-0-assignee": "hr",
        "steps-0-user_id": "",
        "steps-0-days": "1",
    }


def action_permissions(app) -> list[str]:
    """The permissions the area's views declare, other than the HR read permissions."""
    declared = {access_of(app.view_functions[r.endpoint])[1] for r in area_routes(app)}
    return sorted(p for p in declared if p and p not in HR_VIEW_PERMISSIONS)


@pytest.fixture(name="hr_world")
def hr_world_fixture(app, make_user, monkeypatch):
    """An opening, an application, an interview, scorecards, a CV file, an employee: sentinels.

    Callers: one user per non-HR role, and one role-less user per action permission (granted
    through ``PERMISSION_GRANTS``, as delegations are).
    """
    from portal.models import users as user_model
    from portal.models.recruiting import (
        ApplicationEvent,
        CVFile,
        Employee,
        Opening,
    )
    from portal.services import recruiting
    from portal.services.recruiting import files

    hr = make_user(roles=["hr_manager", "staff"], name="Helena RH", email="hr@priv.test")
    colleague = make_user(roles=["staff"], name="Caio Colega", email="caio@priv.test")
    callers = {role: make_user(roles=[role], email=f"{role}@priv.test") for role in NON_HR_ROLES}
    granted: dict[int, str] = {}
    for permission in action_permissions(app):
        user = make_user(roles=[], email=f"grant.{permission}@priv.test")
        callers[f"only {permission}"] = user
        granted[user.id] = permission
    monkeypatch.setattr(
        user_model,
        "PERMISSION_GRANTS",
        [*user_model.PERMISSION_GRANTS, lambda u: [granted[u.id]] if u.id in granted else []],
    )
    with app.test_request_context():
        opening = Opening(
            title="Analista financeiro",
            requirements=REQUIREMENTS,
            min_years=3,
            status="open",
            location="São Paulo",
            hiring_manager_id=hr.id,
        )
        opening.interviewers = [hr, colleague]
        db.session.add(opening)
        db.session.flush()
        earlier = recruiting.add_candidate(
            opening, actor=hr, name="Earlier Person", email=None, phone=None, cv_text="Excel"
        )
        application = recruiting.add_candidate(
            opening, actor=hr, name="Sentinel Candidate", email=None, phone=None, cv_text=CV_TEXT
        )
        application.duplicate_of_id = earlier.candidate_id
        application.duplicate_state = "possible"
        application.candidate.email = SENTINELS["candidate e-mail"]
        application.candidate.phone = SENTINELS["candidate phone"]
        application.stage_reason = SENTINELS["stage reason (feedback)"]
        db.session.add(
            ApplicationEvent(
                application_id=application.id,
                kind="stage",
                details={"old": "new", "new": "screening", "reason": SENTINELS["timeline reason"]},
                actor_id=hr.id,
            )
        )
        start = datetime.now(TZ).replace(hour=10, minute=0, second=0, microsecond=0)
        start += timedelta(days=(7 - start.weekday()) % 7 or 7, weeks=8)
        interview = recruiting.schedule_interview(
            application,
            actor=hr,
            start=start,
            end=start + timedelta(minutes=45),
            interviewers=[hr, colleague, *callers.values()],
        )
        # Scorecards open once the interview has started: fill them in "after" it, then put it
        # back in the future (the walk reschedules and cancels it).
        planned = (interview.start_at, interview.end_at)
        interview.start_at = datetime.now(TZ) - timedelta(hours=2)
        interview.end_at = interview.start_at + timedelta(minutes=45)
        recruiting.save_scorecard(
            interview,
            interviewer=hr,
            ratings=dict.fromkeys(recruiting.CRITERIA, 4),
            notes=SENTINELS["scorecard notes (HR)"],
            recommendation="yes",
        )
        recruiting.save_scorecard(
            interview,
            interviewer=colleague,
            ratings=dict.fromkeys(recruiting.CRITERIA, 3),
            notes=SENTINELS["interviewer notes"],
            recommendation="no",
        )
        interview.start_at, interview.end_at = planned
        slot = recruiting.add_slot(
            opening,
            actor=hr,
            start=start + timedelta(days=1),
            end=start + timedelta(days=1, hours=1),
        )
        stored = f"{uuid4().hex}.txt"
        path = files.path_of(stored)
        path.parent.mkdir(parents=True, exist_ok=True)
        body = f"Sentinel Candidate\n{SENTINELS['CV file content']}\n".encode()
        path.write_bytes(body)
        cv = CVFile(
            opening_id=opening.id,
            application_id=application.id,
            batch=uuid4().hex,
            stored_name=stored,
            original_name="cv.txt",
            size=len(body),
            kind="txt",
            content_type="text/plain",
            sha256=hashlib.sha256(body).hexdigest(),
            status="scored",
            uploaded_by_id=hr.id,
        )
        db.session.add(cv)
        employee = Employee(
            application_id=None,  # hired before the portal; the walk's own hire links one
            name="Sentinel Candidate",
            email=SENTINELS["employee e-mail"],
            phone=SENTINELS["employee phone"],
            cpf=SENTINELS["employee CPF"],
            address=SENTINELS["employee address"],
            emergency_contact=SENTINELS["emergency contact"],
            salary=Decimal("48213.77"),
            position="Analyst",
            start_date=date(2030, 1, 2),
            search_key="sentinel candidate analyst",
        )
        db.session.add(employee)
        db.session.flush()
        people_world = _people_world(employee, hr)
        db.session.commit()
        return {
            "hr_id": hr.id,
            "colleague_id": colleague.id,
            "caller_ids": {label: u.id for label, u in callers.items()},
            "opening_id": opening.id,
            "application_id": application.id,
            "candidate_id": application.candidate_id,
            "interview_id": interview.id,
            "cv_id": cv.id,
            "batch": cv.batch,
            "employee_id": employee.id,
            "slot_id": slot.id,
            **people_world,
        }


PEOPLE_DOCUMENT = f"%PDF-1.4\n{SENTINELS['employee document content']}\n%%EOF\n".encode()


def _people_world(employee, hr) -> dict[str, int]:
    """The employee's history, document, onboarding step, warning and training: sentinels."""
    from portal.models.people import (
        Attendance,
        ChecklistTask,
        ChecklistTemplate,
        Course,
        DisciplinaryWarning,
        EmployeeChange,
        EmployeeDocument,
        TrainingSession,
    )
    from portal.services.people import records

    db.session.add(
        EmployeeChange(
            employee_id=employee.id,
            field="salary",
            old_value=SENTINELS["salary history"],
            new_value="48213.77",
            effective_on=date(2030, 1, 2),
            actor_id=hr.id,
        )
    )
    stored = f"{uuid4().hex}.pdf"
    (records.document_dir() / stored).write_bytes(PEOPLE_DOCUMENT)
    document = EmployeeDocument(
        employee_id=employee.id,
        stored_name=stored,
        original_name="contract.pdf",
        kind="pdf",
        content_type="application/pdf",
        size=len(PEOPLE_DOCUMENT),
        sha256=hashlib.sha256(PEOPLE_DOCUMENT).hexdigest(),
        uploaded_by_id=hr.id,
    )
    task = ChecklistTask(
        employee_id=employee.id,
        kind="onboarding",
        title="Badge",
        assignee_id=hr.id,
        due_on=date(2030, 1, 2),
    )
    warning = DisciplinaryWarning(
        employee_id=employee.id,
        level="written",
        facts=SENTINELS["warning facts"],
        occurred_on=date(2029, 12, 1),
        issued_by_id=hr.id,
    )
    course = Course(title="Fire brigade", mandatory=True, validity_months=12)
    template = ChecklistTemplate(
        kind="onboarding",
        position="Analyst",
        steps=[{"title": "Badge", "days": 0, "assignee": "hr"}],
    )
    db.session.add_all([document, task, warning, course, template])
    db.session.flush()
    session = TrainingSession(course_id=course.id, held_on=date(2029, 11, 1), place="Room 1")
    db.session.add(session)
    db.session.flush()
    attendance = Attendance(session_id=session.id, employee_id=employee.id)
    db.session.add(attendance)
    db.session.flush()
    return {
        "document_id": document.id,
        "task_id": task.id,
        "warning_id": warning.id,
        "course_id": course.id,
        "attendance_id": attendance.id,
        "template_id": template.id,
    }


def booking_token(world: dict[str, Any]) -> str:
    """A fresh, live self-booking link for the sentinel application."""
    from portal.models.recruiting import BookingToken

    token = secrets.token_urlsafe(24)
    db.session.add(
        BookingToken(
            application_id=world["application_id"],
            token_hash=hashlib.sha256(token.encode()).hexdigest(),
            expires_at=utcnow() + timedelta(days=3),
            created_by_id=world["hr_id"],
        )
    )
    db.session.commit()
    return token


# Valid input here closes the application (or the employee record, or replaces its sentinels);
# walked last so that the other routes' valid input still meets an open one.
RUN_LAST = ("recruiting.hire", "people.terminate", "people.anonymise", "people.update")


def area_routes(app):
    routes = [r for r in app.url_map.iter_rules() if r.endpoint.startswith(AREAS)]
    return sorted(routes, key=lambda r: r.endpoint in RUN_LAST)


def route_url(app, rule, world: dict[str, Any]) -> str:
    values = {}
    for arg in rule.arguments:
        if arg == "token":
            values[arg] = booking_token(world)
        elif arg in world:
            values[arg] = world[arg]
        else:  # a new route with an argument the walk cannot fill yet
            pytest.fail(f"{rule.endpoint}: add a seeded value for <{arg}> to hr_world")
    with app.test_request_context():
        return url_for(rule.endpoint, **values)


def caller_user(world: dict[str, Any], caller: str | None):
    from portal.models import User

    if caller is None:
        return None
    user = db.session.get(User, world["caller_ids"][caller])
    user.__dict__.pop("_permissions", None)  # computed afresh, with the test's grants
    return user


def may_open(view, user) -> bool:
    kind, permission = access_of(view)
    if kind == "public":
        return True
    if user is None:
        return False
    return kind == "signed_in" or bool(permission and user.can(permission))


def allowed_callers(world: dict[str, Any], view) -> list[str | None]:
    """Non-HR callers (None = anonymous) whose declared rule lets them call this view."""
    callers = [None, *world["caller_ids"]]
    allowed = [c for c in callers if may_open(view, caller_user(world, c))]
    for caller in allowed:  # the walk is only meaningful for callers who may not read HR data
        user = caller_user(world, caller)
        assert user is None or not any(user.can(p) for p in HR_VIEW_PERMISSIONS), caller
    return allowed


def client_for(app, caller: str | None, world: dict[str, Any]):
    client = app.test_client()
    user = caller_user(world, caller)
    if user is not None:
        with client.session_transaction() as sess:
            sess["_user_id"] = user.session_token
            sess["_fresh"] = True
    return client


def leaks(response) -> list[str]:
    text = response.get_data(as_text=True) + "\n".join(
        f"{k}: {v}" for k, v in response.headers.items()
    )
    return [name for name, value in SENTINELS.items() if value in text]


def unreadable_target(app, user, response) -> str | None:
    """A redirect (Location, HX-Location, HX-Redirect) to an HR page this caller may not open."""
    from urllib.parse import urlsplit

    from werkzeug.exceptions import HTTPException

    adapter = app.url_map.bind("localhost")
    for header in ("Location", "HX-Location", "HX-Redirect"):
        target = response.headers.get(header)
        if not target:
            continue
        try:
            endpoint, _args = adapter.match(urlsplit(target).path, method="GET")
        except HTTPException:
            continue
        if not endpoint.startswith(AREAS):
            continue
        if not may_open(app.view_functions[endpoint], user):
            return f"{header} {target}"
    return None
