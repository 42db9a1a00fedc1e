"""A visitor badge is with one person in the building at a time; the register has search
(issue 17)."""

from __future__ import annotations

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.frontdesk import Visit
from portal.services import frontdesk

HOST = "Ana Santos <ana@example.com>"


def _sign_in(client, name: str, badge: str):
    return client.post(
        "/frontdesk/visitors", data={"visitor_name": name, "host": HOST, "badge_number": badge}
    )


def test_a_badge_in_the_building_is_not_handed_out_twice(client, login_as, desk_user, ana):
    login_as(desk_user)
    assert _sign_in(client, "Fernanda Lopes", "V-07").status_code == 303
    refused = _sign_in(client, "Paulo Reis", "v-07")
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert 'id="badge_number-error"' in page and "Fernanda Lopes" in page
    assert db.session.scalar(select(func.count(Visit.id))) == 1
    assert _sign_in(client, "Paulo Reis", "V-08").status_code == 303  # another badge is fine
    first = db.session.scalar(select(Visit).where(Visit.visitor_name == "Fernanda Lopes"))
    assert client.post(f"/frontdesk/visitors/{first.id}/leave").status_code == 303
    assert _sign_in(client, "Paulo Reis Filho", "V-07").status_code == 303  # returned: free


def test_a_correction_cannot_give_away_a_badge_in_use(client, login_as, desk_user, ana):
    login_as(desk_user)
    _sign_in(client, "Fernanda Lopes", "V-07")
    _sign_in(client, "Paulo Reis", "V-08")
    paulo = db.session.scalar(select(Visit).where(Visit.visitor_name == "Paulo Reis"))
    form = client.get(f"/frontdesk/visitors/{paulo.id}/edit").get_data(as_text=True)
    assert "V-08" in form
    resp = client.post(
        f"/frontdesk/visitors/{paulo.id}",
        data={
            f"visit-{paulo.id}-{key}": value
            for key, value in {
                "visitor_name": "Paulo Reis",
                "host": HOST,
                "badge_number": "V-07",
                "arrived_at": frontdesk.to_local_input(paulo.arrived_at),
            }.items()
        },
    )
    assert resp.status_code == 422
    assert "Fernanda Lopes" in resp.get_data(as_text=True)


def test_the_visitor_register_searches_name_company_and_badge(client, login_as, desk_user, ana):
    login_as(desk_user)
    for name, badge in (("João Araújo", "V-1"), ("Maria Souza", "V-2"), ("Pedro Lima", "X-9")):
        _sign_in(client, name, badge)
    page = client.get("/frontdesk/visitors?q=araujo", headers={"HX-Request": "true"})
    text = page.get_data(as_text=True)
    assert "João Araújo" in text and "Maria Souza" not in text and "Pedro Lima" not in text
    by_badge = client.get("/frontdesk/visitors?q=x-9").get_data(as_text=True)
    assert 'id="visit-list"' in by_badge
    listed = by_badge.split('id="visit-list"', 1)[1]
    assert "Pedro Lima" in listed and "Maria Souza" not in listed
    nothing = client.get("/frontdesk/visitors?q=%25").get_data(as_text=True)
    assert "Pedro Lima" not in nothing.split('id="visit-list"', 1)[1]
