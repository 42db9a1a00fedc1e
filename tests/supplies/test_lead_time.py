"""Lead-time-aware reorder suggestions: recent use × the supplier's lead time is added to the
reorder point and the par level, and the suggestion says so."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import update

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.supplies import StockMovement, SupplyItem
from portal.services import supplies
from tests.supplies.conftest import stock


def _used(item, back_office, *, recent: int, old: int = 0) -> None:
    """Stock the item, then issue ``recent`` units now and ``old`` units 100 days ago."""
    stock(item, recent + old + 8, back_office)
    if old:
        movement = supplies.issue_stock(item, quantity=old, actor=back_office)
        db.session.flush()
        db.session.execute(
            update(StockMovement)
            .where(StockMovement.id == movement.id)
            .values(at=utcnow() - timedelta(days=100))
        )
    supplies.issue_stock(item, quantity=recent, actor=back_office)
    db.session.commit()


def test_daily_use_counts_only_issues_of_the_last_90_days(app, back_office, catalogue):
    coffee = catalogue["coffee"]
    _used(coffee, back_office, recent=180, old=50)  # receipts and the old issue do not count
    supplies.refresh_daily_use()
    db.session.commit()
    assert db.session.get(SupplyItem, coffee.id).daily_use == Decimal("2.000")
    a4 = db.session.get(SupplyItem, catalogue["a4"].id)
    assert a4.daily_use == Decimal("0")  # nothing issued


def test_lead_time_raises_reorder_point_and_quantity_and_explains_it(
    app, client, login_as, back_office, catalogue
):
    coffee = catalogue["coffee"]  # reorder point 2, par 6, packs of 1; supplier lead time 5 days
    _used(coffee, back_office, recent=180)  # 2 a day; 8 left on hand
    rows = {s.sku: s for s in supplies.suggestions()}
    assert "CAF-1KG" not in rows  # before the nightly refresh: 8 is above the reorder point of 2

    supplies.refresh_daily_use()
    db.session.commit()
    rows = {s.sku: s for s in supplies.suggestions()}
    s = rows["CAF-1KG"]
    assert (s.extra, s.need, s.quantity) == (10, 8, 8)  # 6 + 10 - 8
    assert s.explanation == (
        "uses ~2/day, lead time 5 days → +10; on hand 8, on order 0, reorder point 2 + 10, "
        "par 6 + 10 → 8 → 8 packs of 1"
    )
    # Items without recent use keep the plain explanation.
    assert rows["PAP-A4"].explanation == (
        "on hand 0, on order 0, reorder point 5, par 20 → 20 → 2 packs of 10"
    )
    assert supplies.low_stock_count() == len(rows)

    login_as(back_office)
    page = client.get("/supplies/suggestions").get_data(as_text=True)
    assert "uses ~2/day, lead time 5 days → +10" in page
    # Ordering it counts as on order: the raised point is met, nothing is suggested twice.
    assert (
        client.post("/supplies/suggestions/order", data={"items": [coffee.id]}).status_code == 303
    )
    assert "CAF-1KG" not in {s.sku for s in supplies.suggestions()}


def test_above_the_raised_point_nothing_is_suggested(app, back_office, catalogue):
    coffee = catalogue["coffee"]
    _used(coffee, back_office, recent=18)  # 0.2 a day → +1 over 5 days; 8 on hand
    supplies.refresh_daily_use()
    db.session.commit()
    assert "CAF-1KG" not in {s.sku for s in supplies.suggestions()}  # 8 > 2 + 1


def test_a_fraction_of_a_unit_a_day_shows_one_decimal(app, back_office, catalogue):
    coffee = catalogue["coffee"]
    db.session.execute(
        update(SupplyItem).where(SupplyItem.id == coffee.id).values(daily_use=Decimal("0.4"))
    )
    stock(coffee, 4, back_office)  # 4 <= 2 + ceil(0.4 * 5) = 4
    s = {s.sku: s for s in supplies.suggestions()}["CAF-1KG"]
    assert s.extra == 2
    assert s.explanation.startswith("uses ~0.4/day, lead time 5 days → +2;")
    assert s.explain(*supplies.explanation_texts(), ",").startswith("uses ~0,4/day")
    s.daily_use = Decimal("0.03")
    assert s.explanation.startswith("uses ~0.03/day")


def test_the_daily_job_refreshes_use(app, back_office, catalogue):
    from worker.jobs.supplies import notify_low_stock

    coffee = catalogue["coffee"]
    _used(coffee, back_office, recent=180)
    notify_low_stock()
    assert db.session.get(SupplyItem, coffee.id).daily_use == Decimal("2.000")
