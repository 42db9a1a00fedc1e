"""The portal's areas, in the order they register: the one list to edit when adding an area.

Each ``portal.blueprints.<area>`` package has a ``register(app)`` that attaches its views,
registers its blueprint and adds its nav entries, dashboard cards, notification kinds, request
types and periodic jobs to ``app.extensions["portal.registry"]`` (``portal.ui.Registry``).
``create_app`` calls ``register_all``; importing a module registers nothing.  Order matters
where areas meet: the notification preferences list kinds in registration order, and a later
area's request type replaces an earlier one's with the same key.
"""

from __future__ import annotations

import importlib

from flask import Flask

from portal import ui
from portal.security import PERMISSIONS

AREAS = (
    "core",
    "auth",
    "notifications",
    "frontdesk",
    "supplies",
    "recruiting",
    "inbox",
    "search",
    "equipment",
    "reports",
    "people",
    "outbox",
    "admin",
    "company",
)


def register_all(app: Flask) -> ui.Registry:
    """Register every area in ``AREAS`` on ``app``; return the app's registry."""
    registry = ui.init_app(app)
    for area in AREAS:
        package = importlib.import_module(f"portal.blueprints.{area}")
        package.register(app)
    _check(app, registry)
    return registry


def _check(app: Flask, registry: ui.Registry) -> None:
    """Fail at start-up, not on a page, when an entry names an unknown permission or endpoint."""
    for entry in (*registry.nav, *registry.cards):
        if entry.permission is not None and entry.permission not in PERMISSIONS:
            raise ValueError(f"unknown permission {entry.permission!r} in {entry!r}")
    for item in registry.nav:
        if item.endpoint not in app.view_functions:
            raise ValueError(f"nav entry for unknown endpoint {item.endpoint!r}")
