"""Constant query counts: the register, an asset's page and the cost report cost the same with
few or many rows."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from sqlalchemy import event, insert

from portal.extensions import db
from portal.models.equipment import Asset, Event, Reading
from tests.equipment.conftest import HX


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


def _add_assets(start: int, n: int, holder_id: int, dept_id: int) -> None:
    db.session.execute(
        insert(Asset),
        [
            {
                "asset_tag": f"PRN-{i:05d}",
                "type": "printer",
                "make": "HP",
                "model": "M404",
                "model_key": "hp m404",
                "serial": f"S{i}",
                "status": "in_use",
                "holder_id": holder_id,
                "department_id": dept_id,
                "vendor_locale": "pt_BR",
            }
            for i in range(start, start + n)
        ],
    )
    db.session.commit()


@pytest.mark.parametrize(
    "path,headers", [("/equipment/", {}), ("/equipment/", HX), ("/equipment/costs", {})]
)
def test_list_queries_constant(client, login_as, manager, staff, department, path, headers):
    login_as(manager)
    holder_id, dept_id = staff.id, department.id
    counts = []
    start = 0
    for n in (3, 30):
        _add_assets(start, n, holder_id, dept_id)
        start += n
        db.session.remove()
        with count_queries() as seen:
            resp = client.get(path, headers=headers)
        assert resp.status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts


def test_asset_page_queries_constant(client, login_as, office, make_asset, toner):
    from portal.services import equipment

    asset = make_asset()
    equipment.link_item(asset, actor=office, item_id=toner.id)
    db.session.commit()
    login_as(office)
    asset_id = asset.id
    counts = []
    day = date(2024, 1, 1)
    for n in (2, 20):
        db.session.execute(
            insert(Reading),
            [
                {
                    "asset_id": asset_id,
                    "read_on": day + timedelta(days=i),
                    "mono": 1000 * i,
                    "pages_mono": 1000,
                    "colour": 0,
                    "pages_colour": 0,
                }
                for i in range(n)
            ],
        )
        db.session.execute(
            insert(Event),
            [{"asset_id": asset_id, "kind": "reading", "summary": "x"} for _ in range(n)],
        )
        day += timedelta(days=n)
        db.session.commit()
        db.session.remove()
        with count_queries() as seen:
            assert client.get(f"/equipment/{asset_id}").status_code == 200
            assert client.get(f"/equipment/{asset_id}/more", headers=HX).status_code == 200
        counts.append(len(seen))
    assert counts[0] == counts[1], counts
