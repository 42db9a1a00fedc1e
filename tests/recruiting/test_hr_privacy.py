"""HR data stays with HR, on every answer: success, 4xx, fragment, redirect.

The walk discovers every route of the recruiting (and people) blueprints from ``app.url_map``,
reads the rule each view declares, and calls it as every role that may call it but may not see
candidates (and anonymously where the route is public) — and, so that a future role holding one
action permission is covered too, as a user granted exactly one of the area's action permissions:
GET and POST, valid and invalid input, with and without ``HX-Request``.  The data behind it
carries a unique sentinel in every HR-only field; none may appear in any body or header, and no
redirect may point at a page the caller could not open.
"""

from __future__ import annotations

from itertools import count

from portal.extensions import db
from tests.recruiting.hr_world import (
    HR_ROLES,
    INVALID,
    NON_HR_ROLES,
    SENTINELS,
    VALID,
    allowed_callers,
    area_routes,
    caller_user,
    client_for,
    hr_world_fixture,  # noqa: F401  (the hr_world fixture)
    leaks,
    route_url,
    unreadable_target,
)


def test_the_sentinels_are_where_hr_sees_them(app, client, hr_world):
    """The walk below proves something only if HR's own pages do show every sentinel."""
    from portal.models import User

    hr = db.session.get(User, hr_world["hr_id"])
    with client.session_transaction() as sess:
        sess["_user_id"] = hr.session_token
        sess["_fresh"] = True
    seen: set[str] = set()
    for url in (
        f"/recruiting/applications/{hr_world['application_id']}",
        "/recruiting/employees",
        f"/recruiting/cvs/{hr_world['cv_id']}",
        f"/people/employees/{hr_world['employee_id']}",
        f"/people/employees/{hr_world['employee_id']}/edit",
        f"/people/employees/{hr_world['employee_id']}/documents/{hr_world['document_id']}",
        f"/people/warnings/{hr_world['warning_id']}",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        seen.update(leaks(response))
    assert seen == set(SENTINELS) - {"CV text"}


def test_no_hr_field_reaches_a_caller_who_may_not_see_candidates(app, hr_world):
    routes = area_routes(app)
    assert any(r.endpoint == "recruiting.reschedule" for r in routes)
    assert NON_HR_ROLES and "hr_manager" in HR_ROLES
    counter = count()
    failures: list[str] = []
    calls = 0
    for rule in routes:
        view = app.view_functions[rule.endpoint]
        callers = allowed_callers(hr_world, view)
        takes_input = "POST" in rule.methods or rule.endpoint in VALID
        if callers and takes_input and rule.endpoint not in VALID:
            failures.append(f"{rule.endpoint}: add its valid input to VALID")
            continue
        for caller in callers:
            for method in ("GET", "POST"):
                for variant in ("valid", "invalid"):
                    for htmx in (False, True):
                        db.session.rollback()
                        client = client_for(app, caller, hr_world)
                        url = route_url(app, rule, hr_world)
                        if variant == "valid":
                            data = VALID.get(rule.endpoint, lambda s, n: {})(
                                hr_world, next(counter)
                            )
                        else:
                            data = dict(INVALID)
                        headers = {"HX-Request": "true"} if htmx else {}
                        if method == "GET":
                            data = {k: v for k, v in data.items() if k != "files"}
                            response = client.get(url, query_string=data, headers=headers)
                        else:
                            response = client.post(url, data=data, headers=headers)
                        calls += 1
                        where = (
                            f"{caller or 'anonymous'} {method} {rule.endpoint} {variant}"
                            f"{' htmx' if htmx else ''} -> {response.status_code}"
                        )
                        leaked = leaks(response)
                        if leaked:
                            failures.append(f"{where}: {', '.join(leaked)}")
                        target = unreadable_target(app, caller_user(hr_world, caller), response)
                        if target:
                            failures.append(f"{where}: sent to a page it may not open: {target}")
                        if response.status_code >= 500:
                            failures.append(f"{where}: server error")
    assert calls > 100
    assert failures == [], "\n".join(failures)


def test_an_hr_page_is_never_rendered_for_a_caller_who_may_not_open_it(app, hr_world):
    """The class, not the instance: any view that renders an HR page for a caller without the
    permission that opens it — the next error path someone writes — answers 403, not the page."""
    from flask import render_template
    from sqlalchemy import select

    from portal.blueprints.recruiting.privacy import HR_TEMPLATES
    from portal.models import AuditEntry
    from portal.security import requires
    from portal.services import recruiting

    @app.post("/__rogue/<int:application_id>/<int:which>")
    @requires("hr.interviews.schedule")
    def rogue(application_id: int, which: int):  # "show the page the form came from"
        application = recruiting.get_application_or_404(application_id)
        template = sorted(HR_TEMPLATES)[which]
        return render_template(template, application=application), 422

    client = client_for(app, "back_office", hr_world)
    for which, template in enumerate(sorted(HR_TEMPLATES)):
        response = client.post(f"/__rogue/{hr_world['application_id']}/{which}")
        assert response.status_code == 403, template
        assert leaks(response) == [], template
    denials = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "access.denied")
    ).all()
    assert len(denials) == len(HR_TEMPLATES)
    assert {d.changes["endpoint"] for d in denials} == {"rogue"}
    assert {d.changes["permission"] for d in denials} == set(HR_TEMPLATES.values())


def test_a_scheduler_who_may_not_read_the_application_gets_the_form_back(app, hr_world):
    """Issue 10's instance: back office's bad reschedule is answered with the form, the error
    next to its field — not with the application page."""
    from flask import template_rendered

    client = client_for(app, "back_office", hr_world)
    url = f"/recruiting/interviews/{hr_world['interview_id']}/reschedule"
    rendered: list[str] = []

    def record(sender, template, context, **extra):
        rendered.append(template.name)

    for headers, expected in (
        ({}, "recruiting/reschedule.html"),
        ({"HX-Request": "true"}, "recruiting/_partials/_reschedule.html"),
    ):
        rendered.clear()
        with template_rendered.connected_to(record, app):
            response = client.post(url, data={"start": "", "duration": "30"}, headers=headers)
        assert response.status_code == 422
        assert rendered[0] == expected
        assert "recruiting/application.html" not in rendered
        body = response.get_data(as_text=True)
        assert 'id="start-error"' in body
        assert leaks(response) == []
