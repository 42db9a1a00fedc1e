from __future__ import annotations

import pytest

from portal.extensions import db
from tests.recruiting.cvs import REQUIREMENTS


@pytest.fixture
def hr(make_user):
    return make_user(roles=["hr_manager", "staff"], name="Patrícia Almeida", email="hr@example.com")


@pytest.fixture
def make_opening(app, hr):
    from portal.models.recruiting import Opening

    def make(**kw):
        opening = Opening(
            title=kw.pop("title", "Analista financeiro"),
            requirements=kw.pop("requirements", REQUIREMENTS),
            min_years=kw.pop("min_years", 3),
            status=kw.pop("status", "open"),
            location=kw.pop("location", "São Paulo"),
            hiring_manager_id=kw.pop("hiring_manager_id", hr.id),
            **kw,
        )
        db.session.add(opening)
        db.session.commit()
        return opening

    return make


@pytest.fixture
def opening(make_opening):
    return make_opening()


@pytest.fixture
def add_application(app, opening, hr):
    """Create a scored application from CV text, as HR typing it in."""
    from portal.models import User
    from portal.models.recruiting import Opening
    from portal.services import recruiting

    opening_id, hr_id = opening.id, hr.id

    def add(
        text: str,
        name: str = "Mariana Conceição Araújo",
        email=None,
        phone=None,
        op=None,
        locale=None,
    ):
        with app.test_request_context():
            application = recruiting.add_candidate(
                op or db.session.get(Opening, opening_id),
                actor=db.session.get(User, hr_id),
                name=name,
                email=email,
                phone=phone,
                cv_text=text,
                locale=locale,
            )
            db.session.commit()
            return application

    return add


def upload_dir_files(app):
    from pathlib import Path

    folder = Path(app.config["UPLOAD_FOLDER"]) / "cvs"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []
