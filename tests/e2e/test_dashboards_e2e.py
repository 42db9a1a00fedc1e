"""Each role's dashboard in Portuguese, in a real Chromium, at desktop and phone width: the report
charts load as SVG images, each with its caption and its numbers, and no English leaks.

Screenshots go to a temporary directory (``E2E_SCREENSHOTS`` keeps them somewhere else).
"""

from __future__ import annotations

import html as html_lib
import os
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from portal.extensions import db
from portal.models.base import utcnow
from tests.conftest import browser_login
from tests.core.test_pt_br_leaks import _visible, leaks_in

pytestmark = pytest.mark.e2e

# Role -> the report chart cards its dashboard shows (by the report each links to).
ROLES = {
    "staff": [],
    "back_office": ["/reports/frontdesk", "/reports/supplies"],
    "office_manager": ["/reports/frontdesk", "/reports/supplies"],
    "hr_manager": ["/reports/recruiting"] * 3,
    "director": ["/reports/supplies"],
    "admin": [],
}
WIDTHS = {"desktop": (1280, 900), "phone": (390, 844)}
_SVG_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


@pytest.fixture
def office(make_user):
    """A little of everything the dashboard charts draw, all within their periods."""
    from portal.models.frontdesk import Call
    from portal.models.recruiting import (
        Application,
        ApplicationEvent,
        Candidate,
        Interview,
        Opening,
    )
    from portal.models.supplies import PurchaseOrder, Supplier, SupplyCategory

    now = utcnow()
    interviewer = make_user(roles=["staff"], name="Rafaela Entrevistadora de Candidatos")
    rows: list = [
        Call(
            caller_name=f"Cliente {i}",
            outcome="message",
            recipient_id=interviewer.id,
            created_at=now - timedelta(hours=5 * i),
        )
        for i in range(12)
    ]
    cats = [
        SupplyCategory(name="Material de escritório e papelaria", monthly_budget=Decimal("900")),
        SupplyCategory(name="Limpeza e higiene", monthly_budget=Decimal("400")),
    ]
    supplier = Supplier(name="Papelaria Central Ltda.", order_email="pedidos@example.com")
    opening = Opening(title="Analista administrativo(a) sênior", status="open")
    db.session.add_all([*cats, supplier, opening])
    db.session.flush()
    for m in range(6):
        at = now - timedelta(days=30 * m + 1)
        rows.append(
            PurchaseOrder(
                supplier_id=supplier.id,
                category_id=cats[m % 2].id,
                total=Decimal(350 + 120 * m),
                status="closed",
                requester_id=interviewer.id,
                created_at=at,
                submitted_at=at,
                approved_at=at,
                sent_at=at,
            )
        )
    db.session.add_all(rows)
    db.session.flush()
    for i in range(8):
        at = now - timedelta(days=3 + 7 * i)
        candidate = Candidate(name=f"Candidata {i}")
        db.session.add(candidate)
        db.session.flush()
        stage = ("new", "screened", "interview", "hired")[i % 4]
        application = Application(
            opening_id=opening.id, candidate_id=candidate.id, stage=stage, created_at=at
        )
        db.session.add(application)
        db.session.flush()
        events = [ApplicationEvent(application_id=application.id, kind="applied", at=at)]
        if stage != "new":
            events.append(
                ApplicationEvent(
                    application_id=application.id,
                    kind="hired" if stage == "hired" else "stage",
                    at=at + timedelta(days=2),
                    details={"old": "new", "new": stage},
                )
            )
        db.session.add_all(events)
        db.session.add(
            Interview(
                application_id=application.id,
                uid=f"e2e-{i}@portal",
                start_at=at + timedelta(days=1),
                end_at=at + timedelta(days=1, hours=1),
                organizer_id=interviewer.id,
                interviewers=[interviewer],
            )
        )
    db.session.commit()


@pytest.fixture
def shots(tmp_path) -> Path:
    path = Path(os.environ.get("E2E_SCREENSHOTS") or tmp_path / "dashboards")
    path.mkdir(parents=True, exist_ok=True)
    return path


def _svg_leaks(page, src: str) -> set[str]:
    """English in the chart's own text (labels, legends, axis titles)."""
    body = page.request.get(src).text()
    words = " ".join(html_lib.unescape(t) for t in _SVG_TEXT.findall(body))
    return leaks_in(words)


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("role", list(ROLES))
def test_each_role_dashboard_charts_in_portuguese(page, make_user, office, shots, role, width):
    roles = [role] if role == "staff" else [role, "staff"]
    make_user(roles=roles, email=f"{role}@example.com", name="Maria Silva", locale="pt_BR")
    w, h = WIDTHS[width]
    page.set_viewport_size({"width": w, "height": h})
    browser_login(page, f"{role}@example.com")
    assert page.locator("html").get_attribute("lang") == "pt-BR"
    page.wait_for_load_state("networkidle")

    figures = page.locator("figure.report-card-chart")
    expected = ROLES[role]
    assert figures.count() == len(expected)
    for i in range(figures.count()):
        figure = figures.nth(i)
        figure.scroll_into_view_if_needed()
        img = figure.locator("img")
        img.wait_for()
        page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=img.element_handle()
        )
        assert img.get_attribute("alt")
        caption = figure.locator("figcaption")
        assert caption.inner_text().strip()
        card = figure.locator("xpath=ancestor::*[contains(@class, 'card')][1]")
        numbers = card.locator("table.report-card-numbers tbody tr")
        assert numbers.count() >= 1
        href = card.locator("a[href^='/reports/']").first.get_attribute("href")
        assert href.split("?")[0] == expected[i]
        assert _svg_leaks(page, img.get_attribute("src")) == set(), img.get_attribute("src")
        # Nothing sticks out of the card: neither the chart nor its table of numbers.
        box, card_box = img.bounding_box(), card.bounding_box()
        assert (
            box["x"] >= card_box["x"] - 1
            and box["x"] + box["width"] <= card_box["x"] + card_box["width"] + 1
        )
        table = card.locator("table.report-card-numbers")
        tbox = table.bounding_box()
        assert tbox["x"] + tbox["width"] <= card_box["x"] + card_box["width"] + 1
    # The page never scrolls sideways on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{overflow}px wider than the viewport"
    assert leaks_in(_visible(page.content())) == set()
    page.screenshot(path=str(shots / f"dashboard-{role}-{width}.png"), full_page=True)
