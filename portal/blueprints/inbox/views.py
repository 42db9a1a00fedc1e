"""Inbox pages: the list, one message with its thread and actions, and the admin's mailboxes."""

from __future__ import annotations

from flask import Response, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.inbox import bp
from portal.blueprints.inbox.forms import (
    CvForm,
    MailboxForm,
    MessageForm,
    OrderForm,
    ReplyForm,
    RequestForm,
)
from portal.pagination import paginate
from portal.security import requires
from portal.services import frontdesk, inbox
from portal.web import unit_of_work

SHOWS = ("new", "done", "archived", "all")


def _show() -> str:
    show = request.args.get("show", "new")
    return show if show in SHOWS else "new"


@bp.get("/")
@requires("inbox.view")
def index():
    show = _show()
    page = paginate(inbox.list_messages(show=show))
    counts = inbox.attachment_counts([m.id for m in page.items])
    return htmx.render(
        "inbox/index.html", "inbox/_partials/_list.html", page=page, show=show, counts=counts
    )


def _forms(message, **given):
    request_form = given.get("request_form") or RequestForm()
    request_form.type.choices = [(k, t.label) for k, t in frontdesk.request_types().items()]
    cv_form = given.get("cv_form") or CvForm()
    cv_form.opening.choices = [(o.id, o.title) for o in inbox.openings_for_cv()]
    return {
        "message_form": given.get("message_form") or MessageForm(),
        "request_form": request_form,
        "cv_form": cv_form,
        "reply_form": given.get("reply_form") or ReplyForm(),
        "order_form": OrderForm(),
    }


def _detail(message, status_code: int = 200, **forms):
    thread = inbox.thread_of(message)
    return htmx.render(
        "inbox/detail.html",
        "inbox/_partials/_actions.html",
        status_code=status_code,
        message=message,
        thread=thread,
        replies=inbox.replies_of(thread),
        order=inbox.order_in_subject(message),
        requester=inbox.sender_account(message),
        **_forms(message, **forms),
    )


@bp.get("/<int:message_id>")
@requires("inbox.view")
def detail(message_id: int):
    return _detail(inbox.get_message_or_404(message_id))


@bp.get("/<int:message_id>/attachments/<int:attachment_id>")
@requires("inbox.view")
def attachment(message_id: int, attachment_id: int):
    message = inbox.get_message_or_404(message_id)
    found = next((a for a in message.attachments if a.id == attachment_id), None)
    if found is None or found.data is None:
        abort(404)
    mimetype = {"pdf": "application/pdf"}.get(found.kind or "", "application/octet-stream")
    response = Response(found.data, mimetype=mimetype)
    response.headers["Content-Disposition"] = "attachment"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _done(message_id: int, text: str):
    flash(text, "success")
    return htmx.redirect_to(url_for("inbox.detail", message_id=message_id))


@bp.post("/<int:message_id>/message")
@requires("inbox.view")
def to_message(message_id: int):
    message = inbox.get_message_or_404(message_id)
    form = MessageForm()
    with unit_of_work(form) as work:
        inbox.to_staff_message(message, recipient=form.recipient.data, actor=current_user)
    if work.ok:
        return _done(message_id, _("The message was passed on."))
    return _detail(message, 422, message_form=form)


@bp.post("/<int:message_id>/request")
@requires("inbox.view")
def to_request(message_id: int):
    message = inbox.get_message_or_404(message_id)
    form = RequestForm()
    with unit_of_work(form) as work:
        inbox.to_staff_request(message, type=form.type.data, actor=current_user)
    if work.ok:
        return _done(message_id, _("A staff request was filed."))
    return _detail(message, 422, request_form=form)


@bp.post("/<int:message_id>/order")
@requires("inbox.view")
def to_order(message_id: int):
    message = inbox.get_message_or_404(message_id)
    form = OrderForm()
    with unit_of_work(form) as work:
        inbox.to_supplier_reply(message, actor=current_user)
    if work.ok:
        return _done(message_id, _("The e-mail was attached to the purchase order."))
    flash(" ".join(form.form_errors), "error")
    return _detail(message, 422)


@bp.post("/<int:message_id>/cv")
@requires("hr.cv.upload")
def to_cv(message_id: int):
    message = inbox.get_message_or_404(message_id)
    form = CvForm()
    with unit_of_work(form) as work:
        inbox.to_cv(message, opening_id=form.opening.data or 0, actor=current_user)
    if work.ok:
        return _done(message_id, _("The CV was taken in."))
    return _detail(message, 422, cv_form=form)


@bp.post("/<int:message_id>/reply")
@requires("inbox.view")
def reply(message_id: int):
    message = inbox.get_message_or_404(message_id)
    form = ReplyForm()
    with unit_of_work(form) as work:
        inbox.reply(message, body=form.body.data, actor=current_user, locale=None)
    if work.ok:
        return _done(message_id, _("Your reply is on its way."))
    return _detail(message, 422, reply_form=form)


@bp.post("/<int:message_id>/archive")
@requires("inbox.view")
def archive(message_id: int):
    message = inbox.get_message_or_404(message_id)
    with unit_of_work():
        inbox.archive(message, actor=current_user)
    flash(_("The message was archived."), "success")
    return htmx.redirect_to(url_for("inbox.index"))


@bp.post("/<int:message_id>/unarchive")
@requires("inbox.view")
def unarchive(message_id: int):
    message = inbox.get_message_or_404(message_id)
    with unit_of_work():
        inbox.unarchive(message, actor=current_user)
    return _done(message_id, _("The message is back in the inbox."))


# --- mailboxes (admin) ---------------------------------------------------------------------------


@bp.get("/mailboxes")
@requires("inbox.mailboxes")
def mailboxes():
    return htmx.render(
        "inbox/mailboxes.html",
        "inbox/_partials/_mailboxes.html",
        mailboxes=inbox.list_mailboxes(),
    )


def _mailbox_form_page(form, mailbox=None, status_code: int = 200):
    return htmx.render(
        "inbox/mailbox_form.html",
        "inbox/_partials/_mailbox_form.html",
        status_code=status_code,
        form=form,
        mailbox=mailbox,
    )


@bp.route("/mailboxes/new", methods=["GET", "POST"])
@requires("inbox.mailboxes")
def new_mailbox():
    form = MailboxForm()
    if request.method == "GET":
        return _mailbox_form_page(form)
    with unit_of_work(form) as work:
        inbox.save_mailbox(None, actor=current_user, data=form.data)
    if work.ok:
        flash(_("The mailbox is connected."), "success")
        return htmx.redirect_to(url_for("inbox.mailboxes"))
    return _mailbox_form_page(form, status_code=422)


@bp.route("/mailboxes/<int:mailbox_id>", methods=["GET", "POST"])
@requires("inbox.mailboxes")
def edit_mailbox(mailbox_id: int):
    mailbox = inbox.get_mailbox_or_404(mailbox_id)
    form = MailboxForm(obj=mailbox) if request.method == "GET" else MailboxForm()
    if request.method == "GET":
        return _mailbox_form_page(form, mailbox)
    with unit_of_work(form) as work:
        inbox.save_mailbox(mailbox, actor=current_user, data=form.data)
    if work.ok:
        flash(_("The mailbox settings were saved."), "success")
        return htmx.redirect_to(url_for("inbox.mailboxes"))
    return _mailbox_form_page(form, mailbox, status_code=422)


@bp.post("/mailboxes/<int:mailbox_id>/fetch")
@requires("inbox.mailboxes")
def fetch_now(mailbox_id: int):
    mailbox = inbox.get_mailbox_or_404(mailbox_id)
    with unit_of_work():
        inbox.fetch_soon(mailbox)
    flash(_("The mailbox will be read in a moment."), "success")
    return htmx.redirect_to(url_for("inbox.mailboxes"))
