"""The approval queue's rows load their lines and the reject reason field on demand."""

from __future__ import annotations

HX = {"HX-Request": "true"}


def test_queue_row_links_to_lines_and_reject_form(
    app, client, login_as, manager, back_office, catalogue, make_order
):
    order = make_order(
        back_office,
        status="pending_approval",
        lines=[(catalogue["a4"], 10), (catalogue["pens"], 50)],
    )
    login_as(manager)
    page = client.get("/supplies/approvals").get_data(as_text=True)
    assert "2 lines" in page
    # The count of orders, not the first order's total (a column of the same name).
    assert '<p class="muted small">1 item</p>' in page
    assert f'hx-get="/supplies/orders/{order.id}/lines"' in page
    assert f'hx-get="/supplies/orders/{order.id}/reject"' in page
    # Without JavaScript both links lead to the order page.
    assert f'href="/supplies/orders/{order.id}#reject-{order.id}"' in page

    lines = client.get(f"/supplies/orders/{order.id}/lines", headers=HX)
    body = lines.get_data(as_text=True)
    assert lines.status_code == 200 and "<html" not in body
    assert f'id="queue-lines-{order.id}"' in body
    assert "A4 paper ream" in body and "Blue pens" in body and "R$259.00" in body

    form = client.get(f"/supplies/orders/{order.id}/reject", headers=HX)
    body = form.get_data(as_text=True)
    assert form.status_code == 200 and "<html" not in body
    assert f'id="reject-{order.id}"' in body and 'name="reason"' in body
    assert f'name="version" value="{order.version}"' in body
    assert f'hx-target="#queue-{order.id}"' in body

    # Typed into the address bar: the full order page.
    for url in (f"/supplies/orders/{order.id}/lines", f"/supplies/orders/{order.id}/reject"):
        full = client.get(url).get_data(as_text=True)
        assert "<html" in full and order.number in full


def test_on_demand_fragments_need_the_right_people(
    app, client, login_as, back_office, make_user, catalogue, make_order
):
    order = make_order(back_office, status="pending_approval")
    for url in (f"/supplies/orders/{order.id}/lines", f"/supplies/orders/{order.id}/reject"):
        resp = client.get(url, headers=HX)
        assert resp.status_code == 401 and "/login" in resp.headers["HX-Redirect"]
    login_as(back_office)  # may see orders, may not approve
    assert client.get(f"/supplies/orders/{order.id}/lines", headers=HX).status_code == 200
    assert client.get(f"/supplies/orders/{order.id}/reject", headers=HX).status_code == 403
    login_as(make_user(roles=["hr_manager"]))
    assert client.get(f"/supplies/orders/{order.id}/lines", headers=HX).status_code == 403


HOSTILE = '<script>alert("x")</script>&'
ESCAPED = "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;"


def test_queue_and_suggestions_escape_names(
    app, client, login_as, manager, make_user, catalogue, make_order
):
    """The rows are Jinja partials (supplies/_partials/_queue_row.html, _suggestion_row.html):
    every name from the data comes out escaped, in both lists."""
    from portal.extensions import db

    requester = make_user(roles=["back_office", "staff"], name=f"Req {HOSTILE}")
    catalogue["paper"].name = f"Cat {HOSTILE}"
    catalogue["kalunga"].name = f"Sup {HOSTILE}"
    catalogue["a4"].name = f"Item {HOSTILE}"
    catalogue["a4"].sku = f"SKU{HOSTILE}"
    catalogue["a4"].unit_kind = "other"  # a unit typed by a person: singular and plural
    catalogue["a4"].unit = '<i>"&'  # 20 characters at most
    catalogue["a4"].unit_plural = '<i>"&'
    db.session.commit()
    make_order(requester, status="pending_approval", lines=[(catalogue["pens"], 10)])
    login_as(manager)

    queue = client.get("/supplies/approvals").get_data(as_text=True)
    for text in ("Req ", "Cat ", "Sup "):
        assert text + ESCAPED in queue, text
    suggestions = client.get("/supplies/suggestions").get_data(as_text=True)
    for text in ("Item ", "SKU", "Sup "):  # "Sup": the row and the supplier filter
        assert text + ESCAPED in suggestions, text
    assert "&lt;i&gt;&#34;&amp;" in suggestions
    assert suggestions.count(f"Sup {ESCAPED}") >= 2
    for page in (queue, suggestions):
        assert "<script>alert" not in page
