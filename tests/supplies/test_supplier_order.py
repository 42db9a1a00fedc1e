"""Issue 16: the order that reaches the supplier — in the supplier's language (Portuguese by
default), with the company's profile, a font that prints Portuguese and typography, wrapped item
names, page numbers, totals, payment terms and the delivery address."""

from __future__ import annotations

import io
import os
import re
from decimal import Decimal

import pytest
from pypdf import PdfReader

from portal.extensions import db
from portal.models.outbox import OutboundMessage
from portal.models.supplies import SupplyItem
from portal.services import company, supplies

LONG_NAME = "Papel sulfite A4 75 g/m² alcalino – caixa com 10 resmas de 500 folhas, branco extra"


@pytest.fixture
def profile(app, make_user):
    admin = make_user(roles=["admin"])
    company.save(
        actor=admin,
        legal_name="Escritório Exemplo Serviços Administrativos Ltda.",
        trade_name="Escritório Exemplo",
        cnpj="11222333000181",
        address="Rua Augusta, 1500 – conj. 42\nSão Paulo – SP\n01304-001",
        delivery_address="Rua Augusta, 1500 – recebimento (subsolo)\nSão Paulo – SP",
        phone="(11) 3456-7890",
        email="compras@exemplo.com.br",
    )
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 90), (29, 78, 216))
    ImageDraw.Draw(image).ellipse((10, 10, 80, 80), fill=(255, 255, 255))
    png = io.BytesIO()
    image.save(png, format="PNG")
    company.set_logo(actor=admin, data=png.getvalue())
    db.session.commit()


def _pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def _approved(make_order, manager, back_office, catalogue, lines):
    order = make_order(back_office, status="pending_approval", lines=lines)
    supplies.approve_order(order, approver=manager, budget_reason="teste")
    db.session.commit()
    return order


def test_portuguese_order_with_company_profile(
    app, profile, manager, back_office, make_order, catalogue
):
    """Old behaviour: English, a US date, Helvetica with "?" for –, the name cut at 45
    characters, no buyer."""
    kalunga = catalogue["kalunga"]
    kalunga.contact_name = "Sra. Regina Alves"
    kalunga.payment_terms = "Boleto 28 dias"
    long_item = SupplyItem(
        sku="PAP-CX10",
        name=LONG_NAME,
        category_id=catalogue["paper"].id,
        supplier_id=kalunga.id,
        unit_cost=Decimal("1234.56"),
        unit="cx",
    )
    db.session.add(long_item)
    db.session.commit()
    order = _approved(
        make_order, manager, back_office, catalogue, [(long_item, 2), (catalogue["a4"], 10)]
    )
    message = db.session.get(OutboundMessage, order.submission_id)
    assert message.locale == "pt_BR"
    assert message.subject == f"Pedido de compra {order.number} de Escritório Exemplo"
    assert "Sra. Regina Alves" in message.text_body
    assert "Boleto 28 dias" in message.text_body
    pdf = next(a for a in message.attachments if a.filename.endswith(".pdf"))
    if out := os.environ.get("PORTAL_SCREENSHOTS"):  # kept to be looked at
        os.makedirs(out, exist_ok=True)
        with open(os.path.join(out, "supplier-order.pdf"), "wb") as f:
            f.write(pdf.data)
    text = _pdf_text(pdf.data)
    flat = " ".join(text.split())
    assert "11.222.333/0001-81" in flat
    assert "Escritório Exemplo Serviços Administrativos Ltda." in flat
    assert re.search(r"Data: \d{2}/\d{2}/\d{4}", flat)
    assert "R$ 2.469,12" in flat.replace("\u00a0", " ")  # 2 × 1.234,56
    assert "R$ 2.728,12" in flat.replace("\u00a0", " ")  # + 10 × 25,90
    assert "Boleto 28 dias" in flat
    assert "recebimento (subsolo)" in flat
    assert "Página 1 de 1" in flat
    assert "?" not in flat
    # The whole name, wrapped over lines, never cut.
    for word in LONG_NAME.split():
        assert word in flat


def test_english_supplier_gets_english(app, profile, manager, back_office, make_order, catalogue):
    catalogue["kalunga"].language = "en"
    db.session.commit()
    order = _approved(make_order, manager, back_office, catalogue, [(catalogue["a4"], 10)])
    message = db.session.get(OutboundMessage, order.submission_id)
    assert message.locale == "en"
    assert message.subject.startswith(f"Purchase order {order.number}")


def test_many_lines_make_numbered_pages(app, profile, manager, back_office, catalogue):
    with app.test_request_context():
        order = supplies.create_order(supplier=catalogue["kalunga"], actor=back_office)
        for i in range(60):
            item = SupplyItem(
                sku=f"X-{i:03d}",
                name=f"Item de teste número {i} com um nome comprido o bastante para quebrar",
                category_id=catalogue["paper"].id,
                supplier_id=catalogue["kalunga"].id,
                unit_cost=Decimal("1.00"),
            )
            db.session.add(item)
            db.session.flush()
            supplies.add_line(order, item=item, quantity=1, actor=back_office)
        db.session.commit()
        data = supplies.order_pdf(order)
    reader = PdfReader(io.BytesIO(data))
    pages = len(reader.pages)
    assert pages >= 2
    last = " ".join(reader.pages[-1].extract_text().split())
    assert f"Página {pages} de {pages}" in last
