"""Dashboard cards: onboarding progress for HR, and the new hire's own."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext, pgettext

from portal.services import people


def onboarding_card(user) -> dict[str, Any]:
    open_ = people.open_progress()
    overdue = sum(p.overdue for p in open_)
    return {
        "title": _("Onboarding in progress"),
        "value": len(open_),
        "hint": ngettext("%(num)d step overdue", "%(num)d steps overdue", overdue),
        "tone": "warning" if overdue else "neutral",
        "url": url_for("people.employees"),
        "link_text": _("See people"),
    }


def my_onboarding_card(user) -> dict[str, Any]:
    employee = people.employee_of(user)
    rows = people.progress(employee_ids=[employee.id]) if employee else []
    mine = rows[0] if rows else None
    tasks = people.my_open_tasks(user)
    card: dict[str, Any] = {
        "title": _("My onboarding") if mine else _("Steps assigned to me"),
        "value": f"{mine.done}/{mine.total}" if mine else len(tasks),
        "hint": ngettext("%(num)d open step for me", "%(num)d open steps for me", len(tasks)),
        "tone": "info" if tasks else "neutral",
        "url": url_for("people.me"),
        "link_text": pgettext("action", "Open"),
    }
    if mine is not None:
        card["meter"] = {
            "percent": mine.percent,
            "label": _("%(done)d of %(total)d steps done", done=mine.done, total=mine.total),
        }
    return card
