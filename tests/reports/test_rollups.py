"""Daily rollups: built from the raw rows, checked against them, and invisible in the figures."""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.extensions import db
from portal.models.frontdesk import Call
from portal.models.reports import CallRollup, RollupState, StockRollup
from portal.models.supplies import StockMovement, SupplyCategory, SupplyItem
from portal.services import reports
from portal.services.reports import rollups
from tests.reports.conftest import NOVEMBER, SP, local

# "Today" for the rollups: 20 Nov, so 1-18 Nov are sealed and 19-30 Nov come from the raw rows.
TODAY = date(2026, 11, 20)
SECTIONS = {"frontdesk": ("calls", "hours"), "supplies": ("moving",)}


@pytest.fixture
def office(people, make_user):
    """Calls and stock movements over October and November at awkward local times (just before
    and after midnight, voided entries, no recipient), from a fixed random seed."""
    rng = random.Random(15)
    staff = [make_user(roles=["staff"], name=f"Pessoa {i}") for i in range(3)]
    recipients = [None, people["back"].id] + [u.id for u in staff]
    cat = SupplyCategory(name="Papelaria")
    db.session.add(cat)
    db.session.flush()
    items = [SupplyItem(sku=f"P-{i}", name=f"Papel {i}", category_id=cat.id) for i in range(12)]
    db.session.add_all(items)
    db.session.flush()
    rows = []
    for _ in range(400):
        day = date(2026, 10, 1) + timedelta(days=rng.randrange(61))
        at = local(
            day.year, day.month, day.day, rng.choice((0, 7, 9, 13, 18, 23)), rng.randrange(60)
        )
        rows.append(
            Call(
                caller_name="Cliente",
                outcome=rng.choice(("message", "handled", "callback")),
                recipient_id=rng.choice(recipients),
                created_at=at,
                voided_at=at + timedelta(minutes=3) if rng.random() < 0.1 else None,
            )
        )
    for _ in range(500):
        day = date(2026, 10, 1) + timedelta(days=rng.randrange(61))
        at = local(day.year, day.month, day.day, rng.choice((0, 8, 12, 23)), rng.randrange(60))
        issue = rng.random() < 0.7
        rows.append(
            StockMovement(
                item_id=rng.choice(items[:9]).id,  # three items never move
                kind="issue" if issue else "receipt",
                quantity=-rng.randint(1, 4) if issue else 10,
                at=at,
            )
        )
    db.session.add_all(rows)
    db.session.commit()
    return people


def _raw_calls() -> Counter:
    """(local day, hour, recipient) -> calls, computed in Python from every call."""
    counts: Counter = Counter()
    for created, recipient, voided in db.session.execute(
        select(Call.created_at, Call.recipient_id, Call.voided_at)
    ):
        if voided is None:
            at = created.astimezone(SP)
            counts[(at.date(), at.hour, recipient)] += 1
    return counts


def _raw_stock() -> Counter:
    counts: Counter = Counter()
    for at, item_id, kind, qty in db.session.execute(
        select(StockMovement.at, StockMovement.item_id, StockMovement.kind, StockMovement.quantity)
    ):
        if kind == "issue":
            counts[(at.astimezone(SP).date(), item_id)] += -qty
    return counts


def _figures(args: dict) -> dict:
    out = {}
    for name, keys in SECTIONS.items():
        report = reports.build_report(name, args)
        for key in keys:
            section = report.section(key)
            out[(name, key)] = (
                section.table.rows,
                [(f.value, f.previous) for f in section.figures],
            )
    return out


def test_rollups_match_the_raw_rows(app, office):
    days = reports.rebuild_rollups(today=TODAY)
    db.session.commit()
    assert days > 0
    through = TODAY - timedelta(days=2)
    states = dict(db.session.execute(select(RollupState.kind, RollupState.through)).all())
    assert states == {"calls": through, "stock": through}

    rolled_calls = Counter()
    for day, hour, recipient, n in db.session.execute(
        select(CallRollup.day, CallRollup.hour, CallRollup.recipient_id, CallRollup.calls)
    ):
        assert day <= through
        rolled_calls[(day, hour, recipient)] += n
    expected = {k: n for k, n in _raw_calls().items() if k[0] <= through}
    assert rolled_calls == expected
    assert sum(expected.values()) > 100  # the data set reaches the sealed days

    rolled_stock = Counter()
    for day, item_id, n in db.session.execute(
        select(StockRollup.day, StockRollup.item_id, StockRollup.issued)
    ):
        rolled_stock[(day, item_id)] += n
    assert rolled_stock == {k: n for k, n in _raw_stock().items() if k[0] <= through}


@pytest.mark.parametrize(
    "args",
    [
        {**NOVEMBER, "compare": "1"},  # half rolled up, half raw; October wholly rolled up
        {"period": "custom", "from": "2026-10-18", "to": "2026-10-18"},  # one sealed day
        {"period": "custom", "from": "2026-11-19", "to": "2026-11-30"},  # only raw days
    ],
)
def test_report_figures_are_the_same_with_and_without_rollups(app, office, args):
    app.config["REPORTS_USE_ROLLUPS"] = False
    raw = _figures(args)
    app.config["REPORTS_USE_ROLLUPS"] = True
    reports.rebuild_rollups(today=TODAY)
    db.session.commit()
    db.session.expire_all()
    from flask import g

    g.pop("report_rollups", None)
    assert _figures(args) == raw
    assert any(rows for rows, _f in raw.values())
    # With a person filter too.
    person = str(office["back"].id)
    app.config["REPORTS_USE_ROLLUPS"] = False
    g.pop("report_rollups", None)
    raw_person = reports.build_report("frontdesk", {**args, "person": person})
    app.config["REPORTS_USE_ROLLUPS"] = True
    g.pop("report_rollups", None)
    rolled_person = reports.build_report("frontdesk", {**args, "person": person})
    for key in ("calls", "hours"):
        assert rolled_person.section(key).table.rows == raw_person.section(key).table.rows


def test_the_periodic_job_adds_sealed_days_once(app, office):
    from flask import g

    assert reports.refresh_rollups(today=date(2026, 10, 10)) > 0  # nothing yet: from the start
    db.session.commit()
    added = reports.refresh_rollups(today=TODAY)
    db.session.commit()
    assert added == 2 * (TODAY - date(2026, 10, 10)).days  # calls and stock
    assert reports.refresh_rollups(today=TODAY) == 0  # twice in a day: nothing to do
    db.session.commit()
    incremental = db.session.execute(
        select(CallRollup.day, CallRollup.hour, CallRollup.recipient_id, CallRollup.calls).order_by(
            CallRollup.day, CallRollup.hour, CallRollup.recipient_id
        )
    ).all()
    reports.rebuild_rollups(today=TODAY)
    db.session.commit()
    rebuilt = db.session.execute(
        select(CallRollup.day, CallRollup.hour, CallRollup.recipient_id, CallRollup.calls).order_by(
            CallRollup.day, CallRollup.hour, CallRollup.recipient_id
        )
    ).all()
    assert incremental == rebuilt
    # A call logged today is read raw until its day is sealed, then from the rollup.
    db.session.add(Call(caller_name="Nova", outcome="handled", created_at=local(2026, 11, 20, 10)))
    db.session.commit()
    g.pop("report_rollups", None)
    day = {"period": "custom", "from": "2026-11-20", "to": "2026-11-20"}
    before = reports.build_report("frontdesk", day).section("calls").figures[0].value
    assert reports.refresh_rollups(today=date(2026, 11, 22)) == 2 * 2
    db.session.commit()
    g.pop("report_rollups", None)
    assert rollups.rolled_through("calls") == date(2026, 11, 20)
    assert reports.build_report("frontdesk", day).section("calls").figures[0].value == before


def test_rebuild_command(app, office):
    result = app.test_cli_runner().invoke(args=["reports", "rebuild-rollups"])
    assert result.exit_code == 0, result.output
    assert "rollups rebuilt" in result.output
    assert db.session.scalar(select(RollupState.through).where(RollupState.kind == "stock"))


def test_the_job_is_registered_and_idempotent(app, office):
    from portal import ui
    from worker.jobs.reports import refresh_rollups

    jobs = {j.name: j for j in ui.registry(app).periodic_jobs}
    assert jobs["reports-rollups"].func == "worker.jobs.reports.refresh_rollups"
    assert refresh_rollups() > 0
    assert refresh_rollups() == 0
