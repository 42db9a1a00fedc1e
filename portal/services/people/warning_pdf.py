"""A warning as a printable PDF, always in Portuguese, for the paper file (with signature lines).

Core Helvetica (Latin-1 covers Portuguese); characters outside it (dashes, curly quotes) are
replaced, so no font file is needed.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from fpdf import FPDF

from portal.models.people import WARNING_LEVELS, WARNING_STATUSES, DisciplinaryWarning

_REPLACE = str.maketrans({"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "..."})


def _latin1(text: object) -> str:
    return str(text).translate(_REPLACE).encode("latin-1", "replace").decode("latin-1")


def _date(value) -> str:
    return value.strftime("%d/%m/%Y") if value else "-"


def warning_pdf(warning: DisciplinaryWarning) -> tuple[str, bytes]:
    """(file name, PDF bytes) of ``warning`` in pt_BR."""
    employee = warning.employee
    with force_locale("pt_BR"):
        title = str(WARNING_LEVELS[warning.level]).upper()
        rows = [
            (_("Employee"), employee.name),
            (_("Position"), employee.position),
            (_("Department"), str(employee.department or "-")),
            (_("Date of the facts"), _date(warning.occurred_on)),
        ]
        if warning.suspension_days:
            rows.append((_("Days of suspension"), str(warning.suspension_days)))
        if warning.policy:
            rows.append((_("Policy breached"), warning.policy))
        if warning.witness:
            rows.append((_("Witness"), warning.witness))
        rows.append((_("Lapses on"), _date(warning.lapses_on)))
        rows.append((_("Status"), str(WARNING_STATUSES[warning.status])))
        facts_label = _("Facts")
        statement_label = _("Statement of the employee")
        signatures = [_("Employee"), _("Witness"), _("Company")]
        issued = _(
            "Issued by %(name)s on %(date)s",
            name=str(warning.issued_by or "-"),
            date=_date(warning.created_at),
        )
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=16)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 6, _latin1(current_app.config["PORTAL_NAME"]), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 9, _latin1(title), align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    for label, value in rows:
        pdf.set_font("Helvetica", "B", 10)
        pdf.cell(55, 7, _latin1(label))
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 7, _latin1(value), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 11)
    pdf.multi_cell(0, 7, _latin1(facts_label), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    pdf.multi_cell(0, 6, _latin1(warning.facts), new_x="LMARGIN", new_y="NEXT")
    if warning.statement:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 11)
        pdf.multi_cell(0, 7, _latin1(statement_label), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=10)
        pdf.multi_cell(0, 6, _latin1(warning.statement), new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("Helvetica", "I", 9)
    pdf.multi_cell(0, 6, _latin1(issued), new_x="LMARGIN", new_y="NEXT")
    for label in signatures:
        pdf.ln(14)
        pdf.cell(0, 6, "_" * 60, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=9)
        pdf.cell(0, 5, _latin1(label), new_x="LMARGIN", new_y="NEXT")
    return f"advertencia-{warning.id}.pdf", bytes(pdf.output())
