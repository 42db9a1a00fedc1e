"""Every supplies page renders for the roles that may see it."""

from tests.supplies.conftest import stock


def test_pages_render(client, login_as, manager, back_office, catalogue, make_order):
    stock(catalogue["a4"], 3, back_office)
    order = make_order(back_office, status="pending_approval")
    login_as(manager)
    for url in [
        "/supplies/items",
        "/supplies/items/new",
        f"/supplies/items/{catalogue['a4'].id}",
        f"/supplies/items/{catalogue['a4'].id}/edit",
        "/supplies/items/import",
        "/supplies/suppliers",
        "/supplies/suppliers/new",
        "/supplies/suggestions",
        "/supplies/orders",
        "/supplies/orders/new",
        f"/supplies/orders/{order.id}",
        "/supplies/approvals",
        "/supplies/settings",
        "/supplies/absences",
        "/",
        f"/supplies/orders/{order.id}/pdf",
        "/supplies/items.csv",
    ]:
        resp = client.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
    login_as(back_office)
    for url in ["/supplies/counts", "/supplies/suggestions", "/"]:
        assert client.get(url).status_code == 200, url


def test_list_fragments_for_htmx(client, login_as, manager, back_office, catalogue, make_order):
    make_order(back_office, status="pending_approval")
    login_as(manager)
    for url, root in [
        ("/supplies/items", 'id="item-rows"'),
        ("/supplies/suppliers?q=kal", 'id="supplier-rows"'),
        ("/supplies/orders?status=open", 'id="order-rows"'),
        ("/supplies/approvals", 'id="approval-queue"'),
        (f"/supplies/items/{catalogue['a4'].id}?page=1", 'id="movement-rows"'),
    ]:
        fragment = client.get(url, headers={"HX-Request": "true"})
        body = fragment.get_data(as_text=True)
        assert fragment.status_code == 200 and root in body and "<html" not in body, url
        assert "HX-Request" in fragment.headers.get("Vary", "")
        full = client.get(url).get_data(as_text=True)
        assert "<html" in full and root in full, url


def test_forms_answer_422_with_errors(client, login_as, manager, back_office, catalogue):
    login_as(back_office)
    assert client.post("/supplies/suppliers", data={"name": ""}).status_code == 422
    assert client.post("/supplies/orders", data={}).status_code == 422
    assert client.post("/supplies/suggestions/order", data={}).status_code == 422
    login_as(manager)
    bad = client.post("/supplies/settings/budgets", data={f"budget-{catalogue['paper'].id}": "x"})
    assert bad.status_code == 422
