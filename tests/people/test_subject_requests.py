"""LGPD data-subject requests: find a person's records across candidates, employees, calls and
visits; export the ticked ones as one ZIP; anonymise them (confirmed); every answer logged."""

from __future__ import annotations

import io
import json
import uuid
import zipfile
from datetime import date

import pytest
from sqlalchemy import String, Text, func, select

from portal.extensions import db
from portal.models import AuditEntry
from portal.models.frontdesk import Call, Visit
from portal.models.people import DataRequest, Employee
from portal.models.recruiting import Application, Candidate, CVFile
from portal.services.people import subject_requests as dsr
from portal.services.recruiting import files
from tests.people.conftest import login
from tests.recruiting.conftest import add_application, make_opening, opening  # noqa: F401

NAME = "Renata Quintela Bastos"
EMAIL = "renata.quintela@example.org"
PHONE = "+5521998761234"
CV_BYTES = b"Renata Quintela Bastos - curriculo"


@pytest.fixture
def person(app, add_application, make_employee):  # noqa: F811
    """Renata applied (with a CV file), was hired and left, called twice and visited once;
    a namesake-free stranger sits in every table too."""
    application = add_application("Analista com SQL.", name=NAME, email=EMAIL, phone=PHONE)
    stored = f"{uuid.uuid4().hex}.txt"
    files.path_of(stored).write_bytes(CV_BYTES)
    db.session.add(
        CVFile(
            opening_id=application.opening_id,
            application_id=application.id,
            batch="b1",
            stored_name=stored,
            original_name="renata.txt",
            size=len(CV_BYTES),
            kind="txt",
            content_type="text/plain",
            sha256="0" * 64,
            status="done",
        )
    )
    employee = make_employee(name=NAME, email=EMAIL, phone=PHONE)
    other = make_employee(name="Outra Pessoa", email="outra@example.org", phone="+5511911112222")
    for name, phone in ((NAME, PHONE), ("Renata Q. Bastos", PHONE), ("Outro Cliente", None)):
        db.session.add(
            Call(caller_name=name, phone=phone, outcome="message", message=f"Recado de {name}")
        )
    db.session.add(Visit(visitor_name=NAME, company="Acme", badge_number="B7"))
    db.session.add(Visit(visitor_name="Visitante Qualquer", badge_number="B8"))
    db.session.commit()
    return {
        "candidate": application.candidate_id,
        "employee": employee.id,
        "other": other.id,
        "stored": stored,
    }


def _found(q):
    return {g.kind: g for g in dsr.find(dsr.parse_term(q))}


def _all_ids(groups):
    return {kind: sorted(g.ids) for kind, g in groups.items()}


def test_find_across_kinds_by_email_phone_and_name(app, person):
    by_email = _found(EMAIL.upper())
    assert by_email["candidates"].ids == {person["candidate"]}
    assert by_email["employees"].ids == {person["employee"]}
    assert by_email["candidates"].rows[0]["applications"] == 1
    assert by_email["candidates"].rows[0]["cv_files"] == 1
    by_phone = _found("(21) 99876-1234")
    assert len(by_phone["calls"].ids) == 2
    assert by_phone["employees"].ids == {person["employee"]}
    assert by_phone["visits"].rows == []  # the register holds no phones
    by_name = _found("renata quintela")  # no accents, lower case
    assert len(by_name["calls"].ids) == 1
    assert len(by_name["visits"].ids) == 1
    assert person["other"] not in by_name["employees"].ids


def test_find_by_cpf(app, make_employee):
    employee = make_employee(name="Com CPF", cpf="529.982.247-25")
    assert _found("529.982.247-25")["employees"].ids == {employee.id}


def test_one_query_per_kind(app, person):
    statements = []
    engine = db.engine

    def count(*_args, **_kw):
        statements.append(1)

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", count)
    try:
        dsr.find(dsr.parse_term("Renata"))
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == len(dsr.KINDS)


def test_page_lists_the_groups(client, hr, person):
    login(client, hr)
    response = client.get("/people/subject-requests", query_string={"q": EMAIL})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'name="candidates" value="{person["candidate"]}"' in page
    assert f'name="employees" value="{person["employee"]}"' in page
    assert client.get("/people/subject-requests", query_string={"q": "12"}).status_code == 422


def test_export_zip_holds_every_kind_and_the_files(client, hr, person):
    login(client, hr)
    calls = sorted(_found(PHONE)["calls"].ids)
    visits = sorted(_found(NAME)["visits"].ids)
    response = client.post(
        "/people/subject-requests/export",
        data={
            "q": NAME,
            "candidates": [person["candidate"]],
            "employees": [person["employee"]],
            "calls": [c for c in calls if c in _found(NAME)["calls"].ids],
            "visits": visits,
        },
    )
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    for kind in dsr.KINDS:
        assert f"{kind}.json" in names
    cv = [n for n in names if n.startswith("documents/cv/")]
    assert len(cv) == 1 and archive.read(cv[0]) == CV_BYTES
    candidates = json.loads(archive.read("candidates.json"))
    assert candidates[0]["candidate"]["email"] == EMAIL
    assert candidates[0]["applications"][0]["cv_files"][0]["original_name"] == "renata.txt"
    employees = json.loads(archive.read("employees.json"))
    assert employees[0]["employee"]["phone"] == PHONE  # lgpd.collect's format
    assert "history" in employees[0] and "access_log" in employees[0]
    assert json.loads(archive.read("calls.json"))[0]["caller_name"] == NAME
    assert json.loads(archive.read("visits.json"))[0]["visitor_name"] == NAME
    request = db.session.scalar(select(DataRequest))
    assert request.action == "export" and request.requested_by_id == hr.id
    assert request.summary["records"]["employees"] == [person["employee"]]
    assert request.summary["searched"]["by"] == "name"
    assert NAME not in json.dumps(request.summary)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "people.subject_request.export")
    )
    assert entry.actor_id == hr.id and entry.changes["answer"]["calls"] == 1


def test_export_refuses_records_the_search_does_not_find(client, hr, person):
    login(client, hr)
    response = client.post(
        "/people/subject-requests/export",
        data={"q": EMAIL, "employees": [person["employee"], person["other"]]},
    )
    assert response.status_code == 422
    assert db.session.scalar(select(func.count(DataRequest.id))) == 0
    nothing = client.post("/people/subject-requests/export", data={"q": EMAIL})
    assert nothing.status_code == 422


def _ticked(person, q=PHONE):
    """Everything the search finds, as HR would tick it (by phone: not the visit)."""
    return {kind: sorted(group.ids) for kind, group in _found(q).items()}


def test_anonymise_needs_the_confirmation(client, hr, person):
    login(client, hr)
    employee = db.session.get(Employee, person["employee"])
    employee.status, employee.last_day = "left", date(2025, 1, 1)
    db.session.commit()
    response = client.post(
        "/people/subject-requests/anonymise", data={"q": PHONE, **_ticked(person)}
    )
    assert response.status_code == 422
    assert "cannot be undone" in response.get_data(as_text=True)
    assert db.session.get(Candidate, person["candidate"]).name == NAME
    assert db.session.scalar(select(func.count(DataRequest.id))) == 0


def test_anonymise_refuses_a_current_employee_and_changes_nothing(client, hr, person):
    login(client, hr)
    response = client.post(
        "/people/subject-requests/anonymise", data={"q": PHONE, "confirm": "y", **_ticked(person)}
    )
    assert response.status_code == 422
    db.session.expire_all()
    assert db.session.get(Candidate, person["candidate"]).name == NAME
    assert db.session.scalar(select(Call.caller_name).where(Call.phone == PHONE).limit(1)) == NAME


def test_anonymise_leaves_nothing_of_the_person_in_the_chosen_records(client, hr, person):
    login(client, hr)
    employee = db.session.get(Employee, person["employee"])
    employee.status, employee.last_day = "left", date(2025, 1, 1)
    db.session.commit()
    ticked = _ticked(person)
    assert ticked["calls"] and ticked["candidates"] and not ticked["visits"]
    response = client.post(
        "/people/subject-requests/anonymise", data={"q": PHONE, "confirm": "y", **ticked}
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    # A second request, by name, finds what is left: the visit.
    by_name = _ticked(person, NAME)
    assert by_name == {"candidates": [], "employees": [], "calls": [], "visits": by_name["visits"]}
    assert by_name["visits"]
    response = client.post(
        "/people/subject-requests/anonymise", data={"q": NAME, "confirm": "y", **by_name}
    )
    assert response.status_code == 303
    ticked["visits"] = by_name["visits"]
    db.session.expire_all()
    secrets = [NAME, "Renata Q.", EMAIL, "998761234"]
    chosen = [
        (Candidate, ticked["candidates"]),
        (Employee, ticked["employees"]),
        (Call, ticked["calls"]),
        (Visit, ticked["visits"]),
        (Application, [a for a in db.session.scalars(select(Application.id))]),
    ]
    found = []
    for model, ids in chosen:
        columns = [c for c in model.__table__.columns if isinstance(c.type, String | Text)]
        for row in db.session.execute(select(*columns).where(model.id.in_(ids))):
            found += [
                (model.__name__, v)
                for v in row
                if isinstance(v, str) and any(s in v for s in secrets)
            ]
    assert found == []
    assert not files.path_of(person["stored"]).exists()
    assert db.session.scalar(select(func.count(CVFile.id))) == 0
    # The stranger is untouched, and nothing of Renata is found any more.
    assert db.session.get(Employee, person["other"]).name == "Outra Pessoa"
    assert db.session.scalar(select(Call.caller_name).where(Call.caller_name == "Outro Cliente"))
    assert all(not g.rows for g in dsr.find(dsr.parse_term(NAME)))
    requests = db.session.scalars(select(DataRequest).order_by(DataRequest.id)).all()
    logged = [r for r in requests if r.summary.get("request") == "subject"]
    assert len(logged) == 2 and {r.action for r in logged} == {"anonymise"}
    assert logged[0].summary["answer"]["calls"] == len(ticked["calls"])
    assert not any(s in json.dumps([r.summary for r in logged]) for s in secrets)


@pytest.mark.parametrize("role", ["staff", "back_office", "office_manager", "director"])
def test_other_roles_are_refused(client, make_user, person, role):
    login(client, make_user(roles=[role]))
    assert client.get("/people/subject-requests", query_string={"q": EMAIL}).status_code == 403
    data = {"q": EMAIL, "employees": [person["employee"]], "confirm": "y"}
    assert client.post("/people/subject-requests/export", data=data).status_code == 403
    assert client.post("/people/subject-requests/anonymise", data=data).status_code == 403
    assert db.session.scalar(select(func.count(DataRequest.id))) == 0
