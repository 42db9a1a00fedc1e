"""What each area adds to the shell: navigation entries and dashboard cards.

Areas register here at import time, so base.html and the dashboard never need editing when an
area is added.  Entries are filtered by the user's permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class NavItem:
    label: Any  # lazy string
    endpoint: str
    permission: str | None  # None: any signed-in user
    order: int = 100
    badge: Callable[[Any], int] | None = None  # user -> number shown next to the label
    section: str = ""


@dataclass
class Card:
    """A dashboard card: ``render(user)`` returns the context for ``_macros/cards.html``."""

    key: str
    permission: str | None
    render: Callable[[Any], dict[str, Any]]
    order: int = 100


@dataclass
class Registry:
    nav: list[NavItem] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)


REGISTRY = Registry()


def nav_item(
    label: Any,
    endpoint: str,
    permission: str | None = None,
    *,
    order: int = 100,
    badge: Callable[[Any], int] | None = None,
) -> None:
    """Add a navigation entry (ignored if an entry for the endpoint exists)."""
    if any(n.endpoint == endpoint for n in REGISTRY.nav):
        return
    REGISTRY.nav.append(NavItem(label, endpoint, permission, order, badge))
    REGISTRY.nav.sort(key=lambda n: n.order)


def card(key: str, permission: str | None = None, *, order: int = 100):
    """Register a dashboard card function ``(user) -> dict``."""

    def decorator(func: Callable[[Any], dict[str, Any]]):
        if not any(c.key == key for c in REGISTRY.cards):
            REGISTRY.cards.append(Card(key, permission, func, order))
            REGISTRY.cards.sort(key=lambda c: c.order)
        return func

    return decorator


def visible_nav(user: Any) -> list[NavItem]:
    return [n for n in REGISTRY.nav if n.permission is None or user.can(n.permission)]


def visible_cards(user: Any) -> list[Card]:
    return [c for c in REGISTRY.cards if c.permission is None or user.can(c.permission)]


def endpoints() -> set[str]:
    """Endpoints registered on the current app (to link only to areas that exist)."""
    from flask import current_app

    return set(current_app.view_functions)


def active_nav(items: list[NavItem], endpoint: str | None) -> NavItem | None:
    """The one entry to highlight: the exact endpoint, else the entry of the same blueprint."""
    if not endpoint:
        return None
    for item in items:
        if item.endpoint == endpoint:
            return item
    blueprint = endpoint.rpartition(".")[0]
    for item in items:
        if item.endpoint.rpartition(".")[0] == blueprint:
            return item
    return None
