"""Corrections: calls, visits and faxes are corrected in place for 24 hours, one flow for all.

Every correction does the same: load the record, check the form, hand it to the sub-domain's
service, and on a refusal roll back, reload and show the form again (422) with the error next to
its field; on success commit once, then either swap the corrected row in (htmx) or flash and
redirect.  Visits and faxes are corrected inside their list, as a row that turns into a form
(``frontdesk/_macros.html: correction_row``); the same row is the page without JavaScript.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, flash, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm

from portal import htmx
from portal.blueprints.frontdesk.views.common import desk_context, settle
from portal.web import unit_of_work

# The page around a correction row (without JavaScript): its title and the way back.
_PAGES = {
    "visit": (_l("Correct this visit"), "frontdesk.desk.visitors", _l("Back to the visitors")),
    "fax": (_l("Correct this fax"), "frontdesk.desk.faxes", _l("Back to the faxes")),
}


def render_correction_row(name: str, record: Any, form: FlaskForm, status: int = 200) -> Response:
    """The record's row as a correction form: its row partial (``_<name>_edit_row.html``) for
    an htmx swap, else ``correction.html``, the one page every register's correction shares."""
    title, back, back_label = _PAGES[name]
    return htmx.render(
        "frontdesk/correction.html",
        f"frontdesk/_partials/_{name}_edit_row.html",
        status_code=status,
        form=form,
        record_name=name,
        title=title,
        back_url=url_for(back),
        back_label=back_label,
        **{name: record},
        **desk_context(page=not htmx.wants_fragment()),
    )


def save_correction(
    record_id: int,
    *,
    load: Callable[[int], Any],
    make_form: Callable[[Any], FlaskForm],
    apply: Callable[[Any, FlaskForm], Any],
    done: str,
    next_url: Callable[[Any], str],
    again: Callable[[Any, FlaskForm, int], Any],
    fragment: Callable[[Any], Response] | None = None,
) -> Any:
    """Correct one register entry: validate, ``apply`` (the service), commit once, respond.

    ``again(record, form, 422)`` shows the form with its errors; ``fragment(record)`` answers an
    htmx swap after success (else ``done`` is flashed and the browser goes to ``next_url``).
    """
    record = load(record_id)
    form = make_form(record)
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            apply(record, form)
        settle(form, work)
        if work.ok:
            if fragment is not None and htmx.wants_fragment():
                return fragment(record)
            flash(done, "success")
            return htmx.redirect_to(next_url(record))
        record = load(record_id)  # the rollback expired it
    return again(record, form, 422)
