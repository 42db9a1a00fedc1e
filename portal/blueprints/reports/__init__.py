"""Reports: per-area figures with server-drawn charts, exports, dashboard charts, monthly PDF."""

import click
from flask import Blueprint, Flask
from flask.cli import AppGroup
from flask_babel import lazy_gettext as _l

from portal import ui
from portal.extensions import db
from portal.services import reports
from portal.services.reports.cells import cell_text

bp = Blueprint("reports", __name__, url_prefix="/reports")
cli = AppGroup("reports", help="The reports' daily rollups.")


@cli.command("rebuild-rollups")
def rebuild_rollups_command() -> None:
    """Recompute the daily rollups (calls, stock issued) from the raw rows."""
    days = reports.rebuild_rollups()
    db.session.commit()
    click.echo(f"reports: rollups rebuilt ({days} days)")


def register(app: Flask) -> None:
    from portal.blueprints.reports import cards, views  # noqa: F401  (views import bp)

    app.register_blueprint(bp)
    app.cli.add_command(cli)
    app.add_template_filter(cell_text, "report_cell")
    registry = ui.registry(app)
    # Back office and office managers see the front desk and supplies reports from the index;
    # HR managers see only recruiting, so their entry goes straight there.
    registry.nav_item(_l("Reports"), "reports.index", "reports.frontdesk", order=800)
    registry.nav_item(_l("Hiring reports"), "reports.recruiting", "reports.recruiting", order=801)
    cards.register(registry)
    registry.periodic_job(
        "reports-monthly-summary", "worker.jobs.reports.send_monthly_summaries", interval=3600
    )
    registry.periodic_job("reports-rollups", "worker.jobs.reports.refresh_rollups", interval=3600)
