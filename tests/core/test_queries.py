"""Pages issue a number of queries that does not grow with the data."""

from __future__ import annotations

from portal.services import audit


def _queries(client, count_queries, url):
    client.get(url)  # warm any per-process cache first
    with count_queries() as q:
        resp = client.get(url)
    assert resp.status_code == 200, url
    return q.count


def test_admin_pages_and_dashboard_use_a_constant_number_of_queries(
    client, make_user, login_as, count_queries
):
    admin = login_as(make_user(roles=["admin", "staff"]))
    urls = ["/", "/admin/users", "/admin/audit", "/notifications/"]
    for _ in range(5):
        make_user(roles=["staff", "back_office"])
        audit.record(admin, "test.event", admin)
    from portal.extensions import db

    db.session.commit()
    small = {url: _queries(client, count_queries, url) for url in urls}
    for _ in range(60):
        make_user(roles=["staff", "hr_manager"])
        audit.record(admin, "test.event", admin)
    db.session.commit()
    large = {url: _queries(client, count_queries, url) for url in urls}
    assert small == large
