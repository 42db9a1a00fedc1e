"""The monthly summary: a PDF of last month's reports, e-mailed to those who subscribed.

Office managers and HR managers may subscribe; each receives the reports they may see, in their
own language, once per calendar month, on or after the month's first working day.  The e-mail
goes through the outbox with the dedupe key ``reports-summary:<user>:<YYYY-MM>``: a second run
of the job (or two schedulers at once) finds the row and sends nothing more.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from babel.dates import format_skeleton
from flask import current_app
from flask_babel import force_locale, format_date, get_locale, ngettext
from flask_babel import gettext as _
from fpdf import FPDF
from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError

from portal.errors import NotAllowed
from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.models.reports import MONTHLY_SUMMARY, ReportSubscription
from portal.models.users import User
from portal.services import outbox
from portal.services.reports import equipment, frontdesk, people, recruiting, supplies
from portal.services.reports.base import Report
from portal.services.reports.cells import cell_text
from portal.services.reports.periods import Period, add_months, local_today

log = logging.getLogger(__name__)

SUMMARY_ROLES = ("office_manager", "hr_manager")  # those holding reports.summary
FONT_DIR = "static/fonts"
MAX_ROWS = 15  # rows of a table in the PDF; the full table is in the portal and its export
# Which reports a summary holds, by the permission that shows them.
SUMMARY_REPORTS = (
    ("reports.frontdesk", frontdesk.build),
    ("reports.supplies", supplies.build),
    ("reports.equipment", equipment.build),
    ("reports.recruiting", recruiting.build),
    ("reports.people", people.build),
)


def may_subscribe(user: User) -> bool:
    return user.can("reports.summary")


def is_subscribed(user: User) -> bool:
    return bool(
        db.session.scalar(
            select(
                exists().where(
                    ReportSubscription.user_id == user.id,
                    ReportSubscription.kind == MONTHLY_SUMMARY,
                )
            )
        )
    )


def set_subscription(user: User, *, subscribed: bool) -> None:
    """Start or stop the monthly summary for ``user`` (office and HR managers only)."""
    if not may_subscribe(user):
        raise NotAllowed(_("Only office managers and HR managers receive the monthly summary."))
    row = db.session.scalar(
        select(ReportSubscription).where(
            ReportSubscription.user_id == user.id, ReportSubscription.kind == MONTHLY_SUMMARY
        )
    )
    if subscribed and row is None:
        db.session.add(ReportSubscription(user_id=user.id, kind=MONTHLY_SUMMARY))
    elif not subscribed and row is not None:
        db.session.delete(row)
    db.session.flush()


def first_working_day(year: int, month: int) -> date:
    """The month's first Monday-to-Friday day."""
    day = date(year, month, 1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def last_month(today: date) -> Period:
    start = add_months(today.replace(day=1), -1)
    return Period(start, today.replace(day=1), "custom", 1)


def reports_for(user: User, period: Period) -> list[Report]:
    return [build(period, period.previous()) for perm, build in SUMMARY_REPORTS if user.can(perm)]


# --- the PDF -----------------------------------------------------------------------------------


class _SummaryPDF(FPDF):
    footer_text = ""

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("DejaVu", size=8)
        self.cell(0, 6, f"{self.footer_text} · {self.page_no()}", align="C")


def summary_pdf(user: User, period: Period) -> bytes:
    """The summary of ``period`` as ``user`` may see it, in the current locale."""
    fonts = f"{current_app.root_path}/{FONT_DIR}"
    pdf = _SummaryPDF(format="A4")
    pdf.add_font("DejaVu", "", f"{fonts}/DejaVuSans.ttf")
    pdf.add_font("DejaVu", "B", f"{fonts}/DejaVuSans-Bold.ttf")
    pdf.set_auto_page_break(True, margin=16)
    span = _(
        "%(start)s to %(end)s",
        start=format_date(period.start, "short"),
        end=format_date(period.last_day, "short"),
    )
    pdf.footer_text = current_app.config["PORTAL_NAME"]
    pdf.set_title(_("Monthly summary"))
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 9, _("Monthly summary"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(0, 6, span, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(
        0,
        6,
        _("Compared with the month before. Prepared for %(name)s.", name=user.name),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    for report in reports_for(user, period):
        _report_pages(pdf, report)
    return bytes(pdf.output())


def _report_pages(pdf: FPDF, report: Report) -> None:
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 14)
    pdf.multi_cell(0, 8, str(report.title), new_x="LMARGIN", new_y="NEXT")
    for section in report.sections:
        pdf.set_font("DejaVu", "B", 11)
        pdf.ln(2)
        pdf.multi_cell(0, 6, str(section.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=8)
        pdf.multi_cell(0, 4.5, str(section.caption), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=9)
        for figure in section.figures:
            text = f"{figure.label}: {cell_text(figure.value, figure.kind)}"
            if figure.previous is not None:
                text += (
                    " ("
                    + _("previous: %(value)s", value=cell_text(figure.previous, figure.kind))
                    + ")"
                )
            pdf.multi_cell(0, 5, text, new_x="LMARGIN", new_y="NEXT")
        if section.empty:
            pdf.multi_cell(0, 5, _("No data in this period."), new_x="LMARGIN", new_y="NEXT")
            continue
        rows = section.table.rows[:MAX_ROWS]
        pdf.set_font("DejaVu", size=7.5)
        with pdf.table(
            text_align=tuple(
                "LEFT" if c.kind in ("text", "datetime") else "RIGHT" for c in section.table.columns
            ),
            line_height=4.5,
            first_row_as_headings=True,
        ) as table:
            table.row([str(c.label) for c in section.table.columns])
            for row in rows:
                table.row(
                    [cell_text(v, c.kind) for v, c in zip(row, section.table.columns, strict=True)]
                )
        if len(section.table.rows) > MAX_ROWS:
            pdf.set_font("DejaVu", size=8)
            more = len(section.table.rows) - MAX_ROWS
            pdf.multi_cell(
                0,
                5,
                ngettext(
                    "… and %(num)d more row in the portal.",
                    "… and %(num)d more rows in the portal.",
                    more,
                ),
                new_x="LMARGIN",
                new_y="NEXT",
            )


# --- the job -----------------------------------------------------------------------------------


def dedupe_key(user_id: int, period: Period) -> str:
    return f"reports-summary:{user_id}:{period.start:%Y-%m}"


def send_monthly_summaries(today: date | None = None) -> int:
    """Queue last month's summary for every subscriber not yet sent it; return how many."""
    today = today or local_today()
    if today < first_working_day(today.year, today.month):
        return 0
    period = last_month(today)
    subscribers = (
        db.session.scalars(
            select(User)
            .join(ReportSubscription, ReportSubscription.user_id == User.id)
            .where(ReportSubscription.kind == MONTHLY_SUMMARY, User.active.is_(True))
            .order_by(User.id)
        )
        .unique()
        .all()
    )
    keys = {dedupe_key(u.id, period) for u in subscribers}
    sent = (
        set(
            db.session.scalars(
                select(OutboundMessage.dedupe_key).where(OutboundMessage.dedupe_key.in_(keys))
            )
        )
        if keys
        else set()
    )
    reports_url = current_app.config["PORTAL_BASE_URL"].rstrip("/") + "/reports/"
    queued = 0
    for user in subscribers:
        key = dedupe_key(user.id, period)
        if key in sent or not may_subscribe(user):
            continue
        locale = user.locale or current_app.config["BABEL_DEFAULT_LOCALE"]
        with force_locale(locale):
            data = summary_pdf(user, period)
            month = _month_name(period)
        try:
            with db.session.begin_nested():
                outbox.queue_email(
                    user.email,
                    "reports_summary",
                    {"name": user.name, "month": month, "url": reports_url},
                    dedupe_key=key,
                    attachments=[
                        outbox.Attachment(
                            f"summary-{period.start:%Y-%m}.pdf", "application/pdf", data
                        )
                    ],
                    locale=locale,
                    kind="reports_summary",
                    target=user,
                )
        except IntegrityError:  # another scheduler queued it first
            log.info("monthly summary %s already queued", key)
            continue
        queued += 1
    return queued


def _month_name(period: Period) -> Any:
    return format_skeleton("yMMMM", period.start, locale=str(get_locale() or "en"))
