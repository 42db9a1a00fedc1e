"""Admin "Outbox & jobs": every outgoing message, live job counts, test e-mail, dev mailbox."""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx, ui
from portal.blueprints.outbox import bp
from portal.blueprints.outbox.forms import TestEmailForm
from portal.exports import export_response
from portal.models.outbox import STATUSES
from portal.pagination import paginate
from portal.security import requires
from portal.services import outbox
from portal.web import safe_next, unit_of_work

# The e-mail's own HTML is shown in a sandboxed frame: no scripts, no forms, no network, an
# opaque origin; only inline styles and data: images are allowed.
MAIL_HTML_CSP = (
    "sandbox; default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
    "frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
)


def _index_context(form: TestEmailForm | None = None) -> dict:
    status = request.args.get("status", "")
    if status not in STATUSES:
        status = ""
    return {
        "page": paginate(outbox.list_messages(status)),
        "status": status,
        "statuses": STATUSES,
        "counts": outbox.status_counts(),
        "overview": outbox.job_overview(),
        "kinds": ui.current().outbox_kinds,
        "form": form or TestEmailForm(to=current_user.email),
    }


@bp.get("/")
@requires("admin.outbox")
def index():
    return htmx.render("outbox/index.html", "outbox/_partials/_messages.html", **_index_context())


@bp.get("/export")
@requires("admin.outbox")
def export():
    """The outbox list (with its status filter) as CSV or XLSX; bodies are not exported."""
    status = request.args.get("status", "")
    rows = outbox.export_rows(status if status in STATUSES else "", ui.current().outbox_kinds)
    return export_response(rows, "outbox", title=_("Outbox"))


@bp.get("/jobs")
@requires("admin.outbox")
def jobs():
    return htmx.render(
        "outbox/jobs.html", "outbox/_partials/_jobs.html", overview=outbox.job_overview()
    )


@bp.get("/<int:message_id>")
@requires("admin.outbox")
def detail(message_id: int):
    message = outbox.get_message(message_id)
    text, hidden_links = outbox.shown_text(message)
    return htmx.render(
        "outbox/detail.html",
        "outbox/_partials/_message.html",
        message=message,
        text=text,
        hidden_links=hidden_links,
    )


@bp.post("/<int:message_id>/retry")
@requires("admin.outbox")
def retry(message_id: int):
    with unit_of_work():
        message = outbox.retry(outbox.get_message(message_id), actor=current_user)
    flash(_("The message was queued again."), "success")
    return _back(message.id)


@bp.post("/<int:message_id>/cancel")
@requires("admin.outbox")
def cancel(message_id: int):
    with unit_of_work():
        message = outbox.cancel(outbox.get_message(message_id), actor=current_user)
    flash(_("The message was cancelled."), "success")
    return _back(message.id)


def _back(message_id: int):
    fallback = url_for("outbox.detail", message_id=message_id)
    return htmx.redirect_to(safe_next(request.form.get("next"), fallback))


@bp.post("/test")
@requires("admin.outbox")
def send_test():
    form = TestEmailForm()
    if form.validate_on_submit():
        with unit_of_work(form) as work:
            message = outbox.queue_test_email(form.to.data, actor=current_user)
        if work.ok:
            flash(_("A test e-mail to %(to)s was queued.", to=message.recipients[0]), "success")
            return htmx.redirect_to(url_for("outbox.detail", message_id=message.id))
    return htmx.render(
        "outbox/index.html",
        "outbox/_partials/_test_form.html",
        status_code=422,
        **_index_context(form),
    )


# --- dev mailbox ---------------------------------------------------------------------------------


@bp.get("/mailbox")
@requires("admin.outbox")
def mailbox():
    return htmx.render(
        "outbox/mailbox.html",
        "outbox/_partials/_mailbox_rows.html",
        page=paginate(outbox.list_mailbox()),
    )


@bp.get("/mailbox/<int:message_id>")
@requires("admin.outbox")
def mailbox_message(message_id: int):
    message = outbox.get_mailbox_message(message_id)
    return htmx.render(
        "outbox/mailbox_message.html",
        "outbox/_partials/_mailbox_message.html",
        message=message,
        view=outbox.read_mailbox_message(message),
    )


@bp.get("/mailbox/<int:message_id>/html")
@requires("admin.outbox")
def mailbox_html(message_id: int):
    view = outbox.read_mailbox_message(outbox.get_mailbox_message(message_id))
    response = Response(view.html or "", mimetype="text/html")
    response.headers["Content-Security-Policy"] = MAIL_HTML_CSP
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/mailbox/<int:message_id>/attachments/<int:index>")
@requires("admin.outbox")
def mailbox_attachment(message_id: int, index: int):
    filename, _content_type, data = outbox.mailbox_attachment(
        outbox.get_mailbox_message(message_id), index
    )
    # Always a download, never rendered by the browser in the portal's origin.
    response = Response(data, mimetype="application/octet-stream")
    ascii_name = filename.encode("ascii", "replace").decode().replace('"', "")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
    response.headers["Cache-Control"] = "private, no-store"
    return response
