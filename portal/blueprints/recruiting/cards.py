"""HR dashboard cards: open openings, applications to screen, interviews this week.

The hiring funnel is a chart card of the reports area (``reports-funnel``).
"""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from portal import ui
from portal.services import recruiting


def _card(**values: Any) -> dict[str, Any]:
    base: dict[str, Any] = dict.fromkeys(("value", "hint", "url", "tone", "items", "chart"))
    base["link_text"] = None
    return {**base, **values}


def open_openings(user: Any) -> dict[str, Any]:
    n = recruiting.dashboard_numbers()
    return _card(
        title=_("Open openings"),
        value=n["open"],
        url=url_for("recruiting.index", status="open"),
        tone="info",
    )


def to_screen(user: Any) -> dict[str, Any]:
    n = recruiting.dashboard_numbers()
    return _card(
        title=_("New applications to screen"),
        value=n["new"],
        url=url_for("recruiting.index", status="open"),
        tone="warning" if n["new"] else "success",
    )


def interviews_this_week(user: Any) -> dict[str, Any]:
    n = recruiting.dashboard_numbers()
    return _card(
        title=_("Interviews this week"),
        value=n["week"],
        url=url_for("recruiting.availability"),
        tone="neutral",
    )


def register(registry: ui.Registry) -> None:
    """Add the HR cards to the dashboard (called by the area's ``register``)."""
    registry.card("recruiting-open", open_openings, "hr.candidates.view", order=400)
    registry.card("recruiting-screen", to_screen, "hr.candidates.view", order=401)
    registry.card("recruiting-week", interviews_this_week, "hr.interviews.schedule", order=402)
