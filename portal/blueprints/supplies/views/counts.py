"""Stock counts: start one, type what is on the shelf line by line, post the variances."""

from __future__ import annotations

from flask import flash, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.supplies import bp
from portal.blueprints.supplies.forms import CountLineForm, CountStartForm, VersionForm
from portal.blueprints.supplies.views.common import reraise_unless_invalid
from portal.models.supplies import StockCount
from portal.pagination import paginate
from portal.security import requires
from portal.services import supplies
from portal.web import unit_of_work


def _counts_page(form: CountStartForm, status: int = 200):
    form.category_id.set_choices(supplies.list_categories())
    return render_template(
        "supplies/counts.html", page=paginate(supplies.list_counts()), form=form
    ), status


@bp.get("/counts")
@requires("stock.count")
def counts():
    return _counts_page(CountStartForm())


@bp.post("/counts")
@requires("stock.count")
def count_start():
    form = CountStartForm()
    if form.validate():
        with unit_of_work(form) as work:
            count = supplies.start_count(actor=current_user, category_id=form.category_id.data)
        if work.ok:
            return htmx.redirect_to(url_for("supplies.count", count_id=count.id))
    return _counts_page(form, 422)


# Fired after a line is saved: the progress line ("12 of 40 counted") fetches itself again.
COUNT_CHANGED = "count-line-saved"


def _count_page(count: StockCount, form: VersionForm, status: int = 200):
    return render_template(
        "supplies/count.html",
        count=count,
        lines=supplies.count_lines(count),
        form=form,
        progress=supplies.count_progress(count),
    ), status


@bp.get("/counts/<int:count_id>/progress")
@requires("stock.count")
def count_progress(count_id: int):
    count = supplies.get_count_or_404(count_id)
    return render_template(
        "supplies/_partials/_count_progress.html",
        count=count,
        progress=supplies.count_progress(count),
    )


@bp.get("/counts/<int:count_id>")
@requires("stock.count")
def count(count_id: int):
    return _count_page(supplies.get_count_or_404(count_id), VersionForm())


@bp.post("/counts/<int:count_id>/lines/<int:line_id>")
@requires("stock.count")
def count_line(count_id: int, line_id: int):
    count = supplies.get_count_or_404(count_id)
    line = supplies.get_count_line_or_404(count, line_id)
    form = CountLineForm()
    if form.validate():
        with unit_of_work(form) as work:
            supplies.set_counted(line, counted=form.counted.data, actor=current_user)
        reraise_unless_invalid(work)
        if work.ok:
            if htmx.wants_fragment():
                response = make_response(
                    render_template(
                        "supplies/_partials/_count_line.html",
                        line=line,
                        count=count,
                        form=None,
                        saved=True,
                    )
                )
                return htmx.trigger(response, COUNT_CHANGED)
            return htmx.redirect_to(url_for("supplies.count", count_id=count.id))
        line = supplies.get_count_line_or_404(count, line_id)
    if htmx.wants_fragment():
        return render_template(
            "supplies/_partials/_count_line.html", line=line, count=count, form=form
        ), 422
    page_form = VersionForm(formdata=None)
    page_form.form_errors.extend([*form.counted.errors, *form.form_errors])
    return _count_page(count, page_form, 422)


@bp.post("/counts/<int:count_id>/post")
@requires("stock.count")
def count_post(count_id: int):
    count = supplies.get_count_or_404(count_id)
    form = VersionForm()
    with unit_of_work(form) as work:
        n = supplies.post_count(count, actor=current_user)
    reraise_unless_invalid(work)
    if work.ok:
        flash(_("Count posted: %(n)d adjustment(s) written to the ledger.", n=n), "success")
        return htmx.redirect_to(url_for("supplies.count", count_id=count.id))
    return _count_page(supplies.get_count_or_404(count_id), form, 422)
