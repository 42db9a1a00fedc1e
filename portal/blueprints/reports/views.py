"""Report pages, their charts (SVG images), exports (CSV, XLSX) and the monthly summary switch.

Each report has three views, all declared with the report's permission: the page, one chart as
``image/svg+xml`` and one table as a file.  The chart is its own response so the page's CSP
(``style-src 'self'``) never has to allow the chart's inline styles; the image carries a CSP
of its own that allows those styles and nothing else (no script, no fetch).
"""

from __future__ import annotations

from typing import Any

from flask import Response, abort, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import htmx
from portal.blueprints.reports import bp
from portal.blueprints.reports.forms import SubscriptionForm
from portal.errors import ValidationError
from portal.security import requires, signed_in
from portal.services import reports
from portal.web import unit_of_work

SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'"
EXPORT_TYPES = {"csv": "text/csv; charset=utf-8", "xlsx": reports.XLSX_TYPE}


@bp.get("/")
@signed_in
def index():
    visible = reports.visible_reports(current_user)
    return htmx.render(
        "reports/index.html",
        "reports/_partials/_subscription.html",
        reports=visible,
        descriptions=reports.DESCRIPTIONS,
        subscribed=reports.is_subscribed(current_user),
        may_subscribe=reports.may_subscribe(current_user),
        form=SubscriptionForm(),
    )


@bp.post("/subscription")
@requires("reports.summary")
def subscription():
    form = SubscriptionForm()
    subscribed = form.subscribe.data == "1"
    with unit_of_work(form) as work:
        if not form.validate():
            raise ValidationError(_("Please try again."), field="subscribe")
        reports.set_subscription(current_user, subscribed=subscribed)
    status = 200 if work.ok else 422
    return htmx.render(
        "reports/index.html",
        "reports/_partials/_subscription.html",
        status_code=status,
        reports=reports.visible_reports(current_user),
        descriptions=reports.DESCRIPTIONS,
        subscribed=reports.is_subscribed(current_user),
        may_subscribe=reports.may_subscribe(current_user),
        form=form,
        saved=work.ok,
    )


def _page(name: str) -> Response:
    try:
        report = reports.build_report(name, request.args)
        error = None
    except ValidationError as exc:  # a custom period that cannot be read: say which date
        report = reports.build_report(name, {})
        error = exc
    return htmx.render(
        "reports/report.html",
        "reports/_partials/_report.html",
        status_code=422 if error else 200,
        report=report,
        error=error,
        args=dict(request.args),
        chart_args=report.query_args(),
    )


def _chart(name: str, key: str) -> Response:
    report = reports.build_report(name, request.args, only=key)
    section = reports.get_section(report, key)
    if section.chart is None:
        abort(404)
    svg = reports.render_svg(section.chart, narrow=request.args.get("w") == "narrow")
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = SVG_CSP
    return response


def _export(name: str, key: str, fmt: str) -> Response:
    if fmt not in EXPORT_TYPES:
        abort(404)
    report = reports.build_report(name, request.args, only=key)
    section = reports.get_section(report, key)
    period = report.period
    filename = f"{name}-{key}-{period.start:%Y%m%d}-{period.last_day:%Y%m%d}.{fmt}"
    if fmt == "csv":
        body: Any = reports.section_csv(section)
    else:
        body = reports.section_xlsx(section, str(section.title))
    return Response(
        body,
        mimetype=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def _views(name: str, permission: str) -> None:
    """The page, chart and export views of one report, under its permission."""

    def page():
        return _page(name)

    def chart(key: str):
        return _chart(name, key)

    def export(key: str, fmt: str):
        return _export(name, key, fmt)

    for view, rule, endpoint in (
        (page, f"/{name}", name),
        (chart, f"/{name}/chart/<key>.svg", f"{name}_chart"),
        (export, f"/{name}/export/<key>.<fmt>", f"{name}_export"),
    ):
        view.__name__ = endpoint
        bp.add_url_rule(rule, endpoint, requires(permission)(view), methods=["GET"])


for _name, _kind in reports.REPORTS.items():
    _views(_name, _kind.permission)


def chart_url(name: str, key: str, args: dict[str, str], **extra: str) -> str:
    return url_for(f"reports.{name}_chart", key=key, **args, **extra)
