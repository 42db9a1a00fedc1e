"""The header search: one box, results grouped by kind, each kind only for who may open it.

``register`` installs the SQL folding function and registers the providers of the areas that
exist now; later areas register their own with ``ui.Registry.search_provider``.
"""

import click
from flask import Blueprint, Flask
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.extensions import db
from portal.services import search
from portal.services.search import indexed, providers

bp = Blueprint("search", __name__, url_prefix="/search")

# kind, label, permission (the same as the page each hit links to), function, order
PROVIDERS = (
    ("calls", _l("Calls and callers"), "calls.log", providers.calls, 10),
    ("messages", _l("My messages"), "messages.view_own", providers.messages, 20),
    ("faxes", _l("Faxes"), "fax.manage", providers.faxes, 30),
    ("visitors", _l("Visitors"), "visitors.manage", providers.visitors, 40),
    ("requests", _l("Staff requests"), "requests.create", providers.requests, 50),
    ("supply_items", _l("Supply items"), "supplies.view", providers.supply_items, 60),
    ("suppliers", _l("Suppliers"), "supplies.view", providers.suppliers, 70),
    ("purchase_orders", _l("Purchase orders"), "supplies.view", providers.purchase_orders, 80),
    ("inbox", _l("Inbox messages"), "inbox.view", providers.inbox_messages, 90),
    ("candidates", _l("Candidates"), "hr.candidates.view", providers.candidates, 200),
    ("openings", _l("Job openings"), "hr.candidates.view", providers.openings, 210),
)


cli = AppGroup("search", help="The header search's indexes.")


@cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search indexes from the tables (SQLite: also restore the triggers)."""
    tables = indexed.rebuild()
    db.session.commit()
    click.echo(f"search: {tables} tables reindexed")


def register(app: Flask) -> None:
    from portal.blueprints.search import views  # noqa: F401  (views import bp: attach routes)

    app.register_blueprint(bp)
    app.cli.add_command(cli)
    with app.app_context():
        search.install(db.engine)
    registry = ui.registry(app)
    for kind, label, permission, function, order in PROVIDERS:
        registry.search_provider(kind, label, permission, function, order=order)
