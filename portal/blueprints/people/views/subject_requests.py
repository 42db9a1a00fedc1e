"""LGPD data-subject requests: find a person's records across the portal, then export them as
one ZIP or anonymise them (``portal.services.people.subject_requests``).  HR only."""

from __future__ import annotations

import re

from flask import Response, flash, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField

from portal import htmx
from portal.blueprints.people import bp
from portal.blueprints.people.privacy import readable_url
from portal.errors import ValidationError
from portal.security import requires
from portal.services.people import subject_requests as dsr
from portal.web import unit_of_work

_ID = re.compile(r"[0-9]{1,9}")


class AnswerForm(FlaskForm):
    """The ticked records travel as ``candidates``/``employees``/``calls``/``visits`` lists."""

    q = HiddenField()
    confirm = BooleanField(_l("I understand that the anonymisation cannot be undone."))


def _selection() -> dict[str, list[int]]:
    """The ticked ids of each kind; anything but a plain 32-bit id is dropped."""
    return {
        kind: [int(v) for v in request.form.getlist(kind) if _ID.fullmatch(v)] for kind in dsr.KINDS
    }


def _page(q: str, form: AnswerForm, *, selection=None, q_error=None, status_code: int = 200):
    term, groups = None, None
    if q and q_error is None:
        try:
            term = dsr.parse_term(q)
        except ValidationError as error:
            q_error, status_code = error.message, 422
        else:
            groups = dsr.find(term)
    return htmx.render(
        "people/subject_request.html",
        "people/_partials/_subject_request.html",
        status_code=status_code,
        q=q,
        q_error=q_error,
        term=term,
        groups=groups,
        form=form,
        selection={kind: set(ids) for kind, ids in (selection or {}).items()},
    )


@bp.get("/subject-requests")
@requires("hr.employees.manage")
def subject_request():
    q = request.args.get("q", "").strip()
    return _page(q, AnswerForm(formdata=None, q=q))


def _answer(action: str):
    form = AnswerForm()
    q = (form.q.data or "").strip()
    selection = _selection()
    if not form.validate_on_submit():
        return _page(q, form, selection=selection, status_code=422)
    try:
        term = dsr.parse_term(q)
    except ValidationError as error:
        return _page(q, form, selection=selection, q_error=error.message, status_code=422)
    with unit_of_work(form) as work:
        if action == "export":
            result = dsr.export(term, selection, actor=current_user)
        else:
            result = dsr.anonymise(
                term, selection, actor=current_user, confirmed=bool(form.confirm.data)
            )
    if not work.ok:
        return _page(q, form, selection=selection, status_code=422)
    if action == "export":
        name, data = result
        return Response(
            data,
            mimetype="application/zip",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    flash(_("The records are anonymised."), "success")
    return htmx.redirect_to(readable_url("people.lgpd"))


@bp.post("/subject-requests/export")
@requires("hr.employees.manage")
def export_subject_request():
    return _answer("export")


@bp.post("/subject-requests/anonymise")
@requires("hr.employees.manage")
def anonymise_subject_request():
    return _answer("anonymise")
