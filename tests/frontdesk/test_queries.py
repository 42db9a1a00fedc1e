"""Constant query counts: the console and My messages cost the same with 5 or 50 calls."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, insert

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import Call
from tests.frontdesk.conftest import HX


@contextmanager
def count_queries():
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", before)


def _add_calls(n: int, users: list[int]) -> None:
    now = utcnow()
    db.session.execute(
        insert(Call),
        [
            {
                "caller_name": f"Caller {i}",
                "phone": f"+55119876{i:05d}",
                "outcome": "message",
                "status": "open",
                "message": "m",
                "direction": "in",
                "urgent": False,
                "for_user_id": users[i % len(users)],
                "recipient_id": users[i % len(users)],
                "logged_by_id": users[(i + 1) % len(users)],
                "created_at": now,
            }
            for i in range(n)
        ],
    )
    db.session.commit()


@pytest.mark.parametrize(
    "path,headers",
    [
        ("/frontdesk/", {}),
        ("/frontdesk/", HX),
        ("/frontdesk/messages", {}),
        ("/", {}),
    ],
)
def test_same_number_of_queries_for_5_and_50_calls(client, login_as, make_user, path, headers):
    desk = make_user(roles=["back_office", "staff"], email="desk@example.com")
    people = [desk] + [make_user(roles=["staff"]) for _ in range(6)]
    login_as(desk)
    ids = [p.id for p in people]
    client.get(path, headers=headers)  # warm the per-minute staff type-ahead cache
    counts = []
    for n in (5, 45):  # 5, then 50 in all
        _add_calls(n, ids)
        db.session.remove()
        with count_queries() as seen:
            resp = client.get(path, headers=headers)
        assert resp.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
