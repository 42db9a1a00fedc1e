"""My messages: phone messages taken for the signed-in user, marking them returned."""

from __future__ import annotations

from flask import (
    current_app,
    flash,
    make_response,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.frontdesk import inbox_bp
from portal.blueprints.frontdesk.forms import (
    ReturnedForm,
)
from portal.blueprints.frontdesk.views.common import url_around_id
from portal.models.base import utcnow
from portal.pagination import page_arg
from portal.security import requires
from portal.services import frontdesk as desk
from portal.web import unit_of_work

# --- my messages ------------------------------------------------------------------------------


@inbox_bp.get("/messages")
@requires("messages.view_own")
def messages():
    show = "open" if request.args.get("show") == "open" else "all"
    page = desk.message_page(
        current_user, show=show, page=page_arg(), per_page=current_app.config["PAGE_SIZE"]
    )
    return htmx.render(
        "frontdesk/messages.html",
        "frontdesk/_partials/_message_list.html",
        page=page,
        show=show,
        now=utcnow(),
        labels=desk.row_labels(),
        returned_url=url_around_id("frontdesk.inbox.mark_returned", "call_id"),
    )


@inbox_bp.post("/messages/<int:call_id>/returned")
@requires("messages.view_own")
def mark_returned(call_id: int):
    call = desk.get_call_or_404(call_id)
    form = ReturnedForm()
    with unit_of_work():
        desk.mark_returned(call, actor=current_user, note=form.note.data)
    if htmx.wants_fragment():
        item = render_template(
            "frontdesk/_partials/_message_items.html",
            calls=[desk.message_row(call_id)],
            now=utcnow(),
            labels=desk.row_labels(),
            returned_url=url_around_id("frontdesk.inbox.mark_returned", "call_id"),
        )
        badge = render_template(
            "frontdesk/_partials/_nav_badge.html",
            open_count=desk.open_message_count(current_user),
        )
        return make_response(item + badge)
    flash(_("Marked as returned."), "success")
    return htmx.redirect_to(url_for("frontdesk.inbox.messages"))
