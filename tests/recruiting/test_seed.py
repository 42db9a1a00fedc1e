"""The demo seed gains openings with ranked candidates, interviews and scorecards."""

from __future__ import annotations

import random

from sqlalchemy import func, select

from portal.extensions import db
from portal.models.recruiting import Application, CVFile, Interview, Opening, Scorecard


def test_seed_builds_a_browsable_recruiting_demo(app, client, login_as):
    from portal.seed import SeedContext, company, recruiting

    ctx = SeedContext(password="demo-password-123", rng=random.Random(7))
    company.seed(ctx)
    db.session.commit()
    recruiting.seed(ctx)
    db.session.commit()
    assert db.session.scalar(select(func.count(Application.id))) >= 18
    assert db.session.scalar(select(func.count(Interview.id))) >= 2
    assert db.session.scalar(select(func.count(Scorecard.id))) >= 2
    assert db.session.scalar(select(func.count(CVFile.id))) >= 18
    opening = db.session.scalar(select(Opening).where(Opening.status == "open"))
    login_as(ctx.users["hr_manager"])
    page = client.get(f"/recruiting/openings/{opening.id}")
    assert page.status_code == 200
    assert page.get_data(as_text=True).count('class="rank-item"') >= 8
    interview = db.session.scalar(select(Interview).join(Scorecard))
    page = client.get(f"/recruiting/applications/{interview.application_id}").get_data(as_text=True)
    assert 'id="scorecards"' in page
    assert client.get("/").status_code == 200
