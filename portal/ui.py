"""What each area adds to the app: nav entries, dashboard cards, notification kinds, request
types and periodic jobs.

One ``Registry`` per app, in ``app.extensions["portal.registry"]``, filled only by the areas'
``register(app)`` functions (``portal.areas.register_all``); importing a module adds nothing.
base.html and the dashboard read it through ``visible_nav`` / ``visible_cards``, so neither needs
editing when an area is added.  Entries are filtered by the user's permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

EXTENSION = "portal.registry"


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


@dataclass(frozen=True)
class PeriodicJob:
    """A job ``python -m worker.cron`` enqueues every ``interval`` seconds (or on ``cron``)."""

    name: str  # its identity across schedulers (period claims): unique
    func: str  # dotted path, e.g. "worker.jobs.mail.sweep_outbox"
    queue: str = "default"
    interval: int | None = None
    cron: str | None = None


@dataclass(frozen=True)
class SearchProvider:
    """One kind of hit in the header search (see ``Registry.search_provider``)."""

    kind: str  # unique, e.g. "calls"; also the ``?kind=`` of the full results page
    label: Any  # lazy string: the group's heading
    permission: str | None  # who may see the group at all (None: any signed-in user)
    search: Callable[[Any, Any], list[Any]]  # (query, user) -> hits
    order: int = 100


@dataclass(frozen=True)
class HandoverProvider:
    """One area's part of an exit hand-over (see ``Registry.handover_provider``)."""

    name: str  # unique, e.g. "frontdesk"; the key of the counts shown on the exit page
    label: Any  # lazy string: what is handed over ("Messages and staff requests")
    function: Callable[..., int]  # (leaver, colleague, *, actor) -> items handed over
    order: int = 100


@dataclass
class Registry:
    """Everything the areas registered on one app, in registration order (sorted where shown)."""

    nav: list[NavItem] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    notification_kinds: dict[str, Any] = field(default_factory=dict)  # kind -> label
    outbox_kinds: dict[str, Any] = field(default_factory=dict)  # outbound message kind -> label
    request_types: dict[str, tuple[Any, Callable[..., None] | None]] = field(
        default_factory=dict
    )  # key -> (label, on_filed)
    periodic_jobs: list[PeriodicJob] = field(default_factory=list)
    search_providers: list[SearchProvider] = field(default_factory=list)
    handover_providers: list[HandoverProvider] = field(default_factory=list)
    # The machines that use supply items (see ``item_machines_provider``): "for_items",
    # "choices", "issue" -> the functions the equipment area registered.
    item_machines: dict[str, Callable[..., Any]] = field(default_factory=dict)

    def nav_item(
        self,
        label: Any,
        endpoint: str,
        permission: str | None = None,
        *,
        order: int = 100,
        badge: Callable[[Any], int] | None = None,
    ) -> None:
        """Add a navigation entry."""
        if any(n.endpoint == endpoint for n in self.nav):
            raise ValueError(f"nav entry for {endpoint!r} registered twice")
        self.nav.append(NavItem(label, endpoint, permission, order, badge))
        self.nav.sort(key=lambda n: n.order)

    def card(
        self,
        key: str,
        render: Callable[[Any], dict[str, Any]],
        permission: str | None = None,
        *,
        order: int = 100,
    ) -> None:
        """Add a dashboard card: ``render(user) -> dict``."""
        if any(c.key == key for c in self.cards):
            raise ValueError(f"dashboard card {key!r} registered twice")
        self.cards.append(Card(key, permission, render, order))
        self.cards.sort(key=lambda c: c.order)

    def notification_kind(self, kind: str, label: Any) -> None:
        """Declare a kind of notification (one row on the preferences page)."""
        self.notification_kinds[kind] = label

    def outbox_kind(self, kind: str, label: Any) -> None:
        """Name a kind of outgoing message ("supplier_order") as the outbox list shows it."""
        self.outbox_kinds[kind] = label

    def request_type(
        self, key: str, label: Any, on_filed: Callable[..., None] | None = None
    ) -> None:
        """Declare a kind of staff request (a later area replaces an earlier entry's key)."""
        self.request_types[key] = (label, on_filed)

    def periodic_job(
        self,
        name: str,
        func: str,
        *,
        queue: str = "default",
        interval: int | None = None,
        cron: str | None = None,
    ) -> None:
        """Declare a periodic job, by dotted path (the web app never imports ``worker``)."""
        if (interval is None) == (cron is None):
            raise ValueError(f"periodic job {name!r}: give exactly one of interval and cron")
        if any(j.name == name for j in self.periodic_jobs):
            raise ValueError(f"periodic job {name!r} registered twice")
        self.periodic_jobs.append(PeriodicJob(name, func, queue, interval, cron))

    def search_provider(
        self,
        kind: str,
        label: Any,
        permission: str | None,
        function: Callable[[Any, Any], list[Any]],
        *,
        order: int = 100,
    ) -> None:
        """Add a kind of hit to the header search.

        ``function(query, user)`` gets a ``portal.services.search.Query`` (folded text, LIKE
        pattern, digits, ``limit`` and ``offset``) and the signed-in user, and returns at most
        ``query.limit`` ``portal.services.search.Hit`` in one query.  It is called only for
        users holding ``permission``; it must itself drop rows the user may not open.
        """
        if any(p.kind == kind for p in self.search_providers):
            raise ValueError(f"search provider {kind!r} registered twice")
        self.search_providers.append(SearchProvider(kind, label, permission, function, order))
        self.search_providers.sort(key=lambda p: p.order)

    def handover_provider(
        self, name: str, label: Any, function: Callable[..., int], *, order: int = 100
    ) -> None:
        """Add an area's part of the hand-over when someone leaves.

        ``function(leaver, colleague, *, actor)`` moves the leaver's open items of the area
        (messages, requests, delegations...) to ``colleague``, records its own audit entry,
        flushes (never commits) and returns how many items it moved.  Running it twice moves
        nothing the second time.  ``actor`` is None when the periodic job closes the account.
        """
        if any(p.name == name for p in self.handover_providers):
            raise ValueError(f"handover provider {name!r} registered twice")
        self.handover_providers.append(HandoverProvider(name, label, function, order))
        self.handover_providers.sort(key=lambda p: p.order)

    def item_machines_provider(
        self,
        for_items: Callable[..., Any],
        *,
        choices: Callable[..., Any],
        issue: Callable[..., Any],
    ) -> None:
        """Let the supplies area name the machines that use its items, without importing them.

        ``for_items(item_ids)`` -> ``{item_id: [machine]}`` in one query (a machine has
        ``label`` and ``url``); ``choices()`` -> ``[(id, label)]`` for the stock form's "issued to
        a machine"; ``issue(item, *, machine_id, quantity, actor, issued_to, reason)`` takes the
        item out of stock for that machine (stock ledger and the machine's history), flushing.
        """
        self.item_machines.update(for_items=for_items, choices=choices, issue=issue)


def init_app(app: Flask) -> Registry:
    """Give ``app`` its empty registry (create_app, before the areas register)."""
    registry = Registry()
    app.extensions[EXTENSION] = registry
    return registry


def registry(app: Flask) -> Registry:
    return app.extensions[EXTENSION]


def current() -> Registry:
    return current_app.extensions[EXTENSION]


def visible_nav(user: Any) -> list[NavItem]:
    return [n for n in current().nav if n.permission is None or user.can(n.permission)]


def visible_cards(user: Any) -> list[Card]:
    return [c for c in current().cards if c.permission is None or user.can(c.permission)]


def visible_search_providers(user: Any) -> list[SearchProvider]:
    return [p for p in current().search_providers if p.permission is None or user.can(p.permission)]


def machines_for_items(item_ids: Any) -> dict[int, list[Any]]:
    """The machines that depend on each item (``{}`` when no area provides machines)."""
    provider = current().item_machines.get("for_items")
    return provider(list(item_ids)) if provider else {}


def machine_choices() -> list[Any]:
    """``[(id, label)]`` of machines an item can be issued to (none without the provider)."""
    provider = current().item_machines.get("choices")
    return provider() if provider else []


def machine_issue() -> Callable[..., Any] | None:
    """The registered "issue to a machine" function, or None."""
    return current().item_machines.get("issue")


def endpoints() -> set[str]:
    """Endpoints registered on the current app (to link only to areas that exist)."""
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
