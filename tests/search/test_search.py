"""Header search: grouped by kind, each kind only for who may open it, accent-insensitive,
phones and order numbers, clear answers to bad input, a constant number of queries."""

from __future__ import annotations

import pytest

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import Call, Fax, StaffRequest, Visit
from portal.models.inbox import InboxMessage, Mailbox
from portal.models.recruiting import Application, Candidate, Opening
from portal.models.supplies import PurchaseOrder, Supplier, SupplyCategory, SupplyItem
from portal.services import search

ROLES = ("staff", "back_office", "office_manager", "hr_manager", "admin")
# kind -> roles that may see it (the permission of the page each hit opens)
VISIBLE = {
    "calls": {"back_office"},
    "faxes": {"back_office"},
    "visitors": {"back_office"},
    "supply_items": {"back_office", "office_manager"},
    "suppliers": {"back_office", "office_manager"},
    "purchase_orders": {"back_office", "office_manager"},
    "inbox": {"back_office"},
    "candidates": {"hr_manager", "admin"},
    "openings": {"hr_manager", "admin"},
}


@pytest.fixture(autouse=True)
def _request(app):
    """Providers build links with url_for: calling the service directly needs a request."""
    with app.test_request_context():
        yield


@pytest.fixture
def world(app, make_user):
    """One "João"/"Açúcar" record of every kind."""
    owner = make_user(roles=["staff"], name="Dono", email="dono@empresa.com.br")
    db.session.add_all(
        [
            Call(
                caller_name="João Araújo",
                phone="+5511987654321",
                outcome="handled",
                status="closed",
            ),
            Fax(correspondent="João Fax Ltda", number="+551133334444"),
            Visit(visitor_name="João Visitante"),
            StaffRequest(
                type="general",
                title="João precisa de açúcar",
                description="x",
                requester_id=owner.id,
            ),
        ]
    )
    category = SupplyCategory(name="Copa")
    supplier = Supplier(name="Açúcar União do João", order_email="joao@uniao.com.br")
    db.session.add_all([category, supplier])
    db.session.flush()
    db.session.add(
        SupplyItem(sku="JOAO-ACU-1", name="Açúcar refinado 1kg", category_id=category.id)
    )
    order = PurchaseOrder(supplier_id=supplier.id, requester_id=owner.id)
    db.session.add(order)
    hr = make_user(roles=["hr_manager"])
    opening = Opening(title="Analista João", hiring_manager_id=hr.id, status="open")
    candidate = Candidate(name="João Candidato", email="jc@example.com")
    db.session.add_all([opening, candidate])
    db.session.flush()
    db.session.add(Application(candidate_id=candidate.id, opening_id=opening.id))
    mailbox = Mailbox(name="c", host="h", username="u", password_encrypted="x", last_uid=0)
    db.session.add(mailbox)
    db.session.flush()
    db.session.add(
        InboxMessage(
            mailbox_id=mailbox.id,
            uidvalidity=1,
            uid=1,
            message_key="<1@x>",
            thread_key="<1@x>",
            subject="Pedido do João",
            from_address="joao@cliente.com",
            search_text="pedido do joao joao@cliente.com",
            received_at=utcnow(),
            fetched_at=utcnow(),
        )
    )
    db.session.commit()
    return {"owner": owner, "order": order}


@pytest.mark.parametrize("role", ROLES)
def test_each_kind_only_for_roles_that_may_open_it(app, client, login_as, make_user, world, role):
    user = login_as(make_user(roles=[role]))
    groups = {g.kind: g for g in search.search("joao", user)}
    for kind, roles in VISIBLE.items():
        if role in roles:
            assert groups[kind].hits, f"{role} should find {kind}"
        else:
            assert kind not in groups, f"{role} must not see {kind}"
            response = client.get("/search/", query_string={"q": "joao", "kind": kind})
            assert response.status_code == 403
    # Staff requests: back office sees all, everyone else only their own.
    request_hits = groups["requests"].hits
    assert bool(request_hits) == (role == "back_office")
    page = client.get("/search/", query_string={"q": "joão"}).get_data(as_text=True)
    if role not in VISIBLE["candidates"]:
        assert "João Candidato" not in page
    if role not in VISIBLE["calls"]:
        assert "João Araújo" not in page


def test_own_requests_and_messages_are_found_by_their_owner(app, login_as, world):
    groups = {g.kind: g for g in search.search("acucar", world["owner"])}
    assert [h.title for h in groups["requests"].hits][0].endswith("João precisa de açúcar")


def test_accent_and_case_insensitive(app, make_user, world):
    desk = make_user(roles=["back_office"])
    for typed in ("acucar", "AÇÚCAR", "Acúcar"):
        groups = {g.kind: g for g in search.search(typed, desk)}
        assert [h.title for h in groups["supply_items"].hits] == ["Açúcar refinado 1kg"]
        assert [h.title for h in groups["suppliers"].hits] == ["Açúcar União do João"]
    groups = {g.kind: g for g in search.search("JOAO ARAUJO", desk)}
    assert [h.title for h in groups["calls"].hits] == ["João Araújo"]


def test_phone_in_any_format_and_order_numbers(app, make_user, world):
    desk = make_user(roles=["back_office"])
    for typed in ("(11) 98765-4321", "11 987654321", "+55 11 98765 4321"):
        groups = {g.kind: g for g in search.search(typed, desk)}
        assert [h.title for h in groups["calls"].hits] == ["João Araújo"]
    number = world["order"].id
    for typed in (f"PO-{number:05d}", str(number)):
        groups = {g.kind: g for g in search.search(typed, desk)}
        assert [h.title for h in groups["purchase_orders"].hits] == [f"PO-{number:05d}"]


@pytest.mark.parametrize("typed", ["", "%", "_", " ", "a" * 2000])
def test_bad_queries_get_a_clear_answer(app, client, login_as, make_user, typed):
    login_as(make_user(roles=["back_office"]))
    response = client.get("/search/", query_string={"q": typed})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    if typed.strip():
        assert "Type at least" in body or "at most" in body


def test_like_wildcards_are_literal(app, make_user, world):
    desk = make_user(roles=["back_office"])
    groups = search.search("jo%o", desk)
    assert all(not g.hits for g in groups)


def test_constant_number_of_queries(app, make_user, world, count_queries, client, login_as):
    desk = login_as(make_user(roles=["back_office"]))
    client.get("/search/", query_string={"q": "joao"})  # warm-up (session, user)
    with count_queries() as few:
        client.get("/search/", query_string={"q": "joao"})
    for n in range(30):
        db.session.add(Call(caller_name=f"João {n}", outcome="handled", status="closed"))
        db.session.add(Visit(visitor_name=f"João {n}"))
    db.session.commit()
    with count_queries() as many:
        client.get("/search/", query_string={"q": "joao"})
    assert many.count == few.count
    kinds = len(search.ui.visible_search_providers(desk))
    assert few.count <= kinds + 6  # one query per kind, plus the request's own


def test_more_results_paginate_within_a_kind(app, client, login_as, make_user):
    login_as(make_user(roles=["back_office"]))
    for n in range(30):
        db.session.add(Visit(visitor_name=f"Visitante Conceição {n:02d}"))
    db.session.commit()
    first = client.get("/search/", query_string={"q": "conceicao"}).get_data(as_text=True)
    assert first.count("Visitante Conceição") == search.PER_KIND and "More results" in first
    page2 = client.get("/search/", query_string={"q": "conceicao", "kind": "visitors", "page": 2})
    assert page2.get_data(as_text=True).count("Visitante Conceição") == 30 - search.PAGE_SIZE


def test_anonymous_is_sent_to_sign_in(client):
    response = client.get("/search/", query_string={"q": "joao"})
    assert response.status_code in (302, 303, 401)
