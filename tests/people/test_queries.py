"""The directory and HR's employee list issue a constant number of queries per page."""

from __future__ import annotations

from datetime import date

from sqlalchemy import insert

from portal.extensions import db
from portal.models import Department, User
from portal.models.people import Employee
from tests.people.conftest import login


def _grow(n: int) -> None:
    have = db.session.query(Employee).count()
    depts = db.session.query(Department).all()
    if not depts:
        depts = [Department(name=f"Dept {i}") for i in range(4)]
        db.session.add_all(depts)
        db.session.flush()
    rows = []
    for i in range(have, n):
        user = User(
            email=f"p{i}@example.com", name=f"Pessoa {i}", password_hash="x", extension=str(i)
        )
        db.session.add(user)
        db.session.flush()
        rows.append(
            {
                "name": f"Pessoa {i:04d}",
                "position": "Analista",
                "department_id": depts[i % len(depts)].id,
                "user_id": user.id if i % 2 else None,
                "start_date": date(2024, 1, 1),
                "contract_type": "clt",
                "working_hours": "",
                "status": "active",
                "search_key": f"pessoa {i:04d} analista",
            }
        )
    if rows:
        db.session.execute(insert(Employee), rows)
    db.session.commit()


def _count(client, count_queries, url: str) -> int:
    client.get(url)  # warm caches (translations, compiled statements)
    with count_queries() as q:
        assert client.get(url).status_code == 200
    return q.count


def test_constant_queries(client, make_user, count_queries):
    hr = make_user(roles=["hr_manager", "staff"], email="hr@example.com")
    login(client, hr)
    counts = {}
    for n in (60, 180):
        _grow(n)
        counts[n] = (
            _count(client, count_queries, "/people/"),
            _count(client, count_queries, "/people/?q=pessoa&page=2"),
            _count(client, count_queries, "/people/employees"),
            _count(client, count_queries, "/people/employees?q=analista&page=2"),
        )
    assert counts[60] == counts[180], counts
