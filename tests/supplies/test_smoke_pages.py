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
