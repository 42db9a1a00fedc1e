"""Changing a counted quantity leaves an audit entry, old → new (issue 10, item 11)."""

from __future__ import annotations

from sqlalchemy import select

from portal.extensions import db
from portal.models import AuditEntry
from portal.services import supplies
from tests.supplies.conftest import stock


def _entries(count_id: int) -> list[AuditEntry]:
    return list(
        db.session.scalars(
            select(AuditEntry)
            .where(
                AuditEntry.action == "supplies.count.line",
                AuditEntry.target_type == "StockCount",
                AuditEntry.target_id == count_id,
            )
            .order_by(AuditEntry.id)
        )
    )


def test_every_change_of_a_counted_quantity_is_audited(
    app, client, login_as, back_office, catalogue
):
    stock(catalogue["a4"], 8, back_office)
    count = supplies.start_count(actor=back_office, category_id=catalogue["paper"].id)
    db.session.commit()
    line = next(ln for ln in supplies.count_lines(count) if ln.item.sku == "PAP-A4")
    url = f"/supplies/counts/{count.id}/lines/{line.id}"
    login_as(back_office)
    for value in ("6", "6", "7", "", "lots"):
        client.post(url, data={"counted": value}, headers={"HX-Request": "true"})
    entries = _entries(count.id)
    # The repeated 6 changes nothing and "lots" is refused: neither is an entry.
    assert [e.changes["counted"] for e in entries] == [[None, 6], [6, 7], [7, None]]
    assert {e.changes["item"] for e in entries} == {"PAP-A4"}
    assert {e.actor_id for e in entries} == {back_office.id}
