"""The purchase order as the supplier receives it: one document in the supplier's language
(Portuguese by default), with the buyer's company profile, rendered as the e-mail's text and
as a PDF.

Every figure and date is formatted once, under the supplier's locale (``R$ 1.234,56``,
``03/12/2026``), into plain strings: the e-mail templates and the PDF only lay them out.  The
PDF uses DejaVu Sans (shipped in ``portal/static/fonts``) so accents, the en dash and the narrow
no-break space Babel puts in amounts print as themselves, never as "?".
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from flask_babel import force_locale, format_currency, format_date, format_decimal
from flask_babel import gettext as _

from portal.models.base import utcnow
from portal.models.supplies import PurchaseOrder
from portal.services import company
from portal.services.supplies import units

SUPPLIER_LANGUAGES = ("pt_BR", "en")
DEFAULT_SUPPLIER_LANGUAGE = "pt_BR"
FONT_DIR = "static/fonts"


def supplier_locale(order: PurchaseOrder) -> str:
    language = getattr(order.supplier, "language", None) or DEFAULT_SUPPLIER_LANGUAGE
    return language if language in SUPPLIER_LANGUAGES else DEFAULT_SUPPLIER_LANGUAGE


@dataclass(slots=True)
class DocLine:
    sku: str
    name: str
    quantity: str
    unit: str
    unit_cost: str
    total: str


@dataclass(slots=True)
class SupplierOrderDoc:
    """Everything the supplier sees, already in their language."""

    locale: str
    number: str
    date: str
    buyer_name: str
    buyer_legal_name: str
    buyer_cnpj: str
    buyer_address: list[str]
    buyer_contact: str
    delivery_address: list[str]
    supplier_name: str
    supplier_contact: str
    payment_terms: str
    total: str
    notes: str
    lines: list[DocLine] = field(default_factory=list)
    logo: bytes | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _lines(text: str | None) -> list[str]:
    return [line for line in (text or "").splitlines() if line.strip()]


def supplier_document(order: PurchaseOrder) -> SupplierOrderDoc:
    """The order as the supplier reads it, formatted in the supplier's language."""
    locale = supplier_locale(order)
    profile = company.get()
    logo = company.logo()
    with force_locale(locale):
        when = order.approved_at or utcnow()
        zone = current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "America/Sao_Paulo"
        from zoneinfo import ZoneInfo

        day = when.astimezone(ZoneInfo(zone)).date()

        def money(value: Any) -> str:
            return format_currency(value or 0, "BRL")

        address = _lines(profile.address) if profile else []
        delivery = _lines(profile.delivery_address) if profile else []
        contact_bits = []
        if profile and profile.phone:
            contact_bits.append(company.format_phone(profile.phone))
        if profile and profile.email:
            contact_bits.append(profile.email)
        supplier = order.supplier
        return SupplierOrderDoc(
            locale=locale,
            number=order.number,
            date=format_date(day, "short"),
            buyer_name=profile.display_name if profile else current_app.config["PORTAL_NAME"],
            buyer_legal_name=profile.legal_name if profile else "",
            buyer_cnpj=company.format_cnpj(profile.cnpj) if profile else "",
            buyer_address=address,
            buyer_contact=" · ".join(contact_bits),
            delivery_address=delivery or address,
            supplier_name=supplier.name,
            supplier_contact=getattr(supplier, "contact_name", None) or "",
            payment_terms=getattr(supplier, "payment_terms", None)
            or _("As agreed with the supplier"),
            total=money(order.total),
            notes=(order.notes or "").strip(),
            lines=[
                DocLine(
                    sku=line.item.sku,
                    name=line.item.name,
                    quantity=format_decimal(line.quantity),
                    unit=units.item_unit_word(line.item, line.quantity),
                    unit_cost=money(line.unit_cost),
                    total=money(line.line_total),
                )
                for line in order.lines
            ],
            logo=logo[0] if logo else None,
            labels={
                "title": _("Purchase order %(number)s", number=order.number),
                "date": _("Date"),
                "buyer": _("Buyer"),
                "cnpj": _("CNPJ"),
                "supplier": _("Supplier"),
                "contact": _("Attn."),
                "deliver_to": _("Deliver to"),
                "payment_terms": _("Payment terms"),
                "sku": _("SKU"),
                "item": _("Item"),
                "qty": _("Qty"),
                "unit": _("Unit"),
                "unit_cost": _("Unit price"),
                "line_total": _("Total"),
                "total": _("Order total"),
                "notes": _("Notes"),
                "quote": _(
                    "Please quote %(number)s on the invoice and the delivery note.",
                    number=order.number,
                ),
                # "Page 1 of 2": {nb} is the page count, filled in by the PDF library.
                "page": _("Page %(page)s of %(pages)s", page="{page}", pages="{nb}"),
            },
        )


def _fonts_dir() -> str:
    return os.path.join(current_app.root_path, FONT_DIR)


def render_pdf(doc: SupplierOrderDoc) -> bytes:
    """The PDF: company header with logo, supplier and delivery, the lines in a table whose
    item names wrap, the total, payment terms, and "page n of m" at the foot of every page."""
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    page_label = doc.labels["page"]

    class OrderPDF(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", size=8)
            self.set_text_color(90, 96, 109)
            left = f"{doc.buyer_name} · {doc.number}"
            self.cell(0, 6, left, align="L")
            self.set_x(self.l_margin)
            self.cell(0, 6, page_label.replace("{page}", str(self.page_no())), align="R")

    pdf = OrderPDF(format="A4")
    pdf.set_title(doc.labels["title"])
    pdf.set_author(doc.buyer_legal_name or doc.buyer_name)
    fonts = _fonts_dir()
    pdf.add_font("DejaVu", "", os.path.join(fonts, "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", os.path.join(fonts, "DejaVuSans-Bold.ttf"))
    pdf.alias_nb_pages("{nb}")
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.add_page()
    width = pdf.epw

    # Header: logo on the left, the buyer's identity next to it.
    top = pdf.get_y()
    text_x = pdf.l_margin
    if doc.logo:
        try:
            # Fitted into a 45 × 18 mm box, whatever its proportions.
            pdf.image(
                io.BytesIO(doc.logo), x=pdf.l_margin, y=top, w=45, h=18, keep_aspect_ratio=True
            )
            text_x = pdf.l_margin + 50
        except Exception:  # noqa: BLE001  (a logo that cannot be drawn leaves the text)
            text_x = pdf.l_margin
    pdf.set_xy(text_x, top)
    pdf.set_font("DejaVu", "B", 13)
    pdf.multi_cell(
        width - (text_x - pdf.l_margin),
        6,
        doc.buyer_legal_name or doc.buyer_name,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVu", size=9)
    header_bits = []
    if doc.buyer_legal_name and doc.buyer_name != doc.buyer_legal_name:
        header_bits.append(doc.buyer_name)
    if doc.buyer_cnpj:
        header_bits.append(f"{doc.labels['cnpj']}: {doc.buyer_cnpj}")
    header_bits.extend(doc.buyer_address)
    if doc.buyer_contact:
        header_bits.append(doc.buyer_contact)
    for bit in header_bits:
        pdf.set_x(text_x)
        pdf.multi_cell(width - (text_x - pdf.l_margin), 4.6, bit, new_x="LMARGIN", new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), top + 20) + 4)
    pdf.set_draw_color(200, 205, 212)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
    pdf.ln(4)

    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(width, 8, doc.labels["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(width, 6, f"{doc.labels['date']}: {doc.date}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)

    # Supplier and delivery side by side.
    half = width / 2 - 3
    y = pdf.get_y()
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(half, 5.5, doc.labels["supplier"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    supplier_lines = [doc.supplier_name]
    if doc.supplier_contact:
        supplier_lines.append(f"{doc.labels['contact']} {doc.supplier_contact}")
    pdf.multi_cell(half, 5, "\n".join(supplier_lines), new_x="LMARGIN", new_y="NEXT")
    left_end = pdf.get_y()
    pdf.set_xy(pdf.l_margin + half + 6, y)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(half, 5.5, doc.labels["deliver_to"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(pdf.l_margin + half + 6)
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(
        half, 5, "\n".join(doc.delivery_address or [doc.buyer_name]), new_x="LMARGIN", new_y="NEXT"
    )
    pdf.set_y(max(left_end, pdf.get_y()) + 5)

    # The lines: item names wrap inside their column; the table repeats its header per page.
    pdf.set_font("DejaVu", size=9)
    head = FontFace(emphasis="BOLD", fill_color=(232, 238, 245))
    with pdf.table(
        col_widths=(24, 66, 14, 20, 28, 28),
        text_align=("LEFT", "LEFT", "RIGHT", "LEFT", "RIGHT", "RIGHT"),
        headings_style=head,
        line_height=5,
        repeat_headings=1,
    ) as table:
        table.row(
            [
                doc.labels["sku"],
                doc.labels["item"],
                doc.labels["qty"],
                doc.labels["unit"],
                doc.labels["unit_cost"],
                doc.labels["line_total"],
            ]
        )
        for line in doc.lines:
            table.row([line.sku, line.name, line.quantity, line.unit, line.unit_cost, line.total])
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(
        width, 7, f"{doc.labels['total']}: {doc.total}", align="R", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width, 5.5, doc.labels["payment_terms"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(width, 5, doc.payment_terms, new_x="LMARGIN", new_y="NEXT")
    if doc.notes:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", 10)
        pdf.multi_cell(width, 5.5, doc.labels["notes"], new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=10)
        pdf.multi_cell(width, 5, doc.notes, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", size=9)
    pdf.multi_cell(width, 5, doc.labels["quote"], new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


def order_pdf(order: PurchaseOrder) -> bytes:
    return render_pdf(supplier_document(order))
