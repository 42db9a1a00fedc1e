# ruff: noqa: E501  (the catalogue table reads best one item per line)
"""Demo supplies: a realistic catalogue, suppliers, a year of stock movements (bulk inserted),
purchase orders in every state, approval bands, budgets and an absence with a delegate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from flask import current_app

from portal.config import base_origin
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.supplies import (
    ApprovalRule,
    Delegation,
    PurchaseOrder,
    PurchaseOrderLine,
    StockMovement,
    Supplier,
    SupplyCategory,
    SupplyItem,
    local_today,
)

ORDER = 20

CATEGORIES = {
    "Papelaria": Decimal("1500.00"),
    "Toner e cartuchos": Decimal("2500.00"),
    "Copa e café": Decimal("800.00"),
    "Limpeza": Decimal("900.00"),
}

SUPPLIERS = [
    # name, e-mail, phone, lead time, minimum order
    ("Kalunga Empresas", "pedidos@kalunga.example.com", "+551133334000", 2, "150.00"),
    ("Officer Distribuidora", "vendas@officer.example.com", "+551130405060", 4, "300.00"),
    ("Café Bom Dia Distribuidora", "pedidos@cafebomdia.example.com", "+551140028922", 3, "100.00"),
    ("Limpa Tudo Atacado", "comercial@limpatudo.example.com", "+551125256060", 5, "200.00"),
]
# Who receives orders at each supplier, and the agreed payment terms (same order as SUPPLIERS).
SUPPLIER_TERMS = [
    ("Regina Alves (televendas)", "Boleto 28 dias"),
    ("Carlos Menezes", "Boleto 30/60 dias"),
    ("Dona Sônia", "Pix na entrega"),
    ("Fernando Luz", "Boleto 21 dias"),
]
# The director / owner: approves above the office manager's limit and what nobody else can.
DIRECTOR = ("director@example.com", "Helena Prado", "Administração", "Diretora / sócia")

# sku, name, category, unit, pack, supplier index, cost, reorder point, par, location, weekly use
# fmt: off
ITEMS = [
    ('PAP-A4-CHX', 'Papel A4 Chamex 75 g (resma 500 fls)', 'Papelaria', 'resma', 10, 0, '27.90', 10, 40, 'Almoxarifado A1', 6),
    ('PAP-A3', 'Papel A3 75 g (resma 500 fls)', 'Papelaria', 'resma', 5, 0, '62.50', 2, 6, 'Almoxarifado A1', 0.3),
    ('CAN-BIC-AZ', 'Caneta esferográfica BIC azul', 'Papelaria', 'un', 50, 0, '1.35', 30, 150, 'Almoxarifado A2', 12),
    ('CAN-BIC-PR', 'Caneta esferográfica BIC preta', 'Papelaria', 'un', 50, 0, '1.35', 20, 100, 'Almoxarifado A2', 8),
    ('MAR-TXT-AM', 'Marca-texto amarelo', 'Papelaria', 'un', 12, 0, '3.20', 6, 24, 'Almoxarifado A2', 2),
    ('POST-IT-76', 'Bloco Post-it 76 x 76 mm', 'Papelaria', 'bloco', 12, 0, '6.90', 12, 48, 'Almoxarifado A2', 4),
    ('GRA-26-6', 'Grampos 26/6 (caixa 5000)', 'Papelaria', 'caixa', 10, 0, '7.50', 3, 12, 'Almoxarifado A3', 0.7),
    ('CLI-2-0', 'Clipes 2/0 (caixa 500 g)', 'Papelaria', 'caixa', 10, 0, '11.90', 2, 8, 'Almoxarifado A3', 0.4),
    ('ENV-A4-PD', 'Envelope pardo A4 (pacote 250)', 'Papelaria', 'pacote', 1, 0, '89.00', 1, 3, 'Almoxarifado A3', 0.2),
    ('PAS-SUS', 'Pasta suspensa kraft', 'Papelaria', 'un', 50, 0, '2.60', 20, 100, 'Almoxarifado A3', 3),
    ('TON-HP-85A', 'Toner HP 85A (CE285A) – LaserJet P1102', 'Toner e cartuchos', 'un', 1, 1, '389.90', 1, 3, 'Armário TI', 0.25),
    ('TON-BR-2370', 'Toner Brother TN-2370 – DCP-L2540', 'Toner e cartuchos', 'un', 1, 1, '279.00', 1, 3, 'Armário TI', 0.3),
    ('TON-RC-SP3710', 'Toner Ricoh SP 3710 – multifuncional do 2º andar', 'Toner e cartuchos', 'un', 1, 1, '459.00', 1, 2, 'Armário TI', 0.15),
    ('CAR-EP-664-PR', 'Refil de tinta Epson 664 preto', 'Toner e cartuchos', 'un', 4, 1, '39.90', 2, 8, 'Armário TI', 0.4),
    ('CAF-MOI-500', 'Café torrado e moído 500 g', 'Copa e café', 'pacote', 10, 2, '18.90', 8, 30, 'Copa', 5),
    ('CAF-GRAO-1K', 'Café em grãos 1 kg (máquina)', 'Copa e café', 'kg', 5, 2, '64.00', 3, 10, 'Copa', 1.5),
    ('ACU-1K', 'Açúcar refinado 1 kg', 'Copa e café', 'pacote', 10, 2, '5.40', 4, 15, 'Copa', 2),
    ('ADO-LIQ', 'Adoçante líquido 100 ml', 'Copa e café', 'frasco', 6, 2, '7.90', 2, 8, 'Copa', 0.5),
    ('COP-180', 'Copo descartável 180 ml (pacote 100)', 'Copa e café', 'pacote', 25, 2, '6.50', 10, 50, 'Copa', 5),
    ('FIL-103', 'Filtro de papel 103 (caixa 30)', 'Copa e café', 'caixa', 12, 2, '4.80', 4, 16, 'Copa', 1.5),
    ('CHA-CAM', 'Chá de camomila (caixa 15 sachês)', 'Copa e café', 'caixa', 10, 2, '5.90', 3, 10, 'Copa', 0.8),
    ('DET-500', 'Detergente neutro 500 ml', 'Limpeza', 'frasco', 24, 3, '2.49', 6, 24, 'Depósito de limpeza', 2),
    ('ALC-70-1L', 'Álcool 70% 1 L', 'Limpeza', 'frasco', 12, 3, '9.90', 6, 24, 'Depósito de limpeza', 2),
    ('PAP-TOA', 'Papel toalha interfolhado (fardo 1000 fls)', 'Limpeza', 'fardo', 5, 3, '24.90', 4, 15, 'Depósito de limpeza', 2),
    ('PAP-HIG', 'Papel higiênico rolão 300 m (fardo 8)', 'Limpeza', 'fardo', 4, 3, '69.90', 3, 10, 'Depósito de limpeza', 1.2),
    ('SAC-100L', 'Saco de lixo 100 L (pacote 100)', 'Limpeza', 'pacote', 5, 3, '39.90', 2, 8, 'Depósito de limpeza', 0.7),
    ('DES-2L', 'Desinfetante lavanda 2 L', 'Limpeza', 'frasco', 6, 3, '11.50', 3, 12, 'Depósito de limpeza', 1),
    ('ESP-DUP', 'Esponja dupla face (pacote 4)', 'Limpeza', 'pacote', 10, 3, '5.20', 3, 12, 'Depósito de limpeza', 1),
]
# fmt: on


def _at(days_ago: float, rng) -> datetime:
    base = datetime.now(UTC) - timedelta(days=days_ago)
    return base.replace(
        hour=rng.randint(11, 20), minute=rng.randint(0, 59), second=0, microsecond=0
    )


def seed(ctx) -> None:
    rng = ctx.rng
    back_office = ctx.users["back_office"]
    manager = ctx.users["office_manager"]
    others = [p for p in ctx.people if p.id not in (back_office.id, manager.id)]

    categories = {
        name: SupplyCategory(name=name, monthly_budget=budget)
        for name, budget in CATEGORIES.items()
    }
    db.session.add_all(categories.values())
    suppliers = [
        Supplier(name=n, order_email=e, phone=p, lead_time_days=lt, min_order_value=Decimal(m))
        for n, e, p, lt, m in SUPPLIERS
    ]
    for supplier, (contact, terms) in zip(suppliers, SUPPLIER_TERMS, strict=True):
        supplier.contact_name, supplier.payment_terms = contact, terms
    db.session.add_all(suppliers)
    db.session.flush()
    _director(ctx, manager)
    db.session.add_all(
        [
            # Small orders within budget approve themselves; up to R$ 500 a delegate may stand
            # in; up to R$ 1.500 the office manager; above, the director.
            ApprovalRule(category_id=None, max_amount=Decimal("60.00"), auto_approve=True),
            ApprovalRule(category_id=None, max_amount=Decimal("500.00"), allow_delegate=True),
            ApprovalRule(category_id=None, max_amount=Decimal("1500.00"), allow_delegate=False),
            ApprovalRule(
                category_id=None,
                max_amount=None,
                allow_delegate=False,
                approver_role="director",
            ),
            ApprovalRule(
                category_id=categories["Toner e cartuchos"].id,
                max_amount=Decimal("1000.00"),
                allow_delegate=True,
            ),
        ]
    )

    items: list[SupplyItem] = []
    usage: dict[str, float] = {}
    SEED_UNIT_PLURALS = {"bloco": "blocos", "fardo": "fardos"}  # noqa: N806
    for sku, name, cat, unit, pack, sup, cost, rp, par, loc, weekly in ITEMS:
        item = SupplyItem(
            sku=sku,
            name=name,
            category_id=categories[cat].id,
            unit=unit,
            # Words outside the known units keep their own plural ("3 blocos", issue 17).
            unit_plural=SEED_UNIT_PLURALS.get(unit),
            pack_size=pack,
            supplier_id=suppliers[sup].id,
            unit_cost=Decimal(cost),
            reorder_point=rp,
            par_level=par,
            location=loc,
            on_hand=0,
        )
        items.append(item)
        usage[sku] = weekly
    db.session.add_all(items)
    db.session.flush()

    _movements(items, usage, rng, back_office, others)
    _orders(items, suppliers, rng, back_office, manager, others)
    _absences(manager, back_office)
    # What the daily low-stock job does first: suggestions allow for use during lead time.
    from portal.services.supplies import refresh_daily_use

    refresh_daily_use()


def _director(ctx, manager) -> None:
    from portal.services import users

    email, name, _dept, title = DIRECTOR
    director = users.create_user(
        actor=None,
        email=email,
        name=name,
        roles=["director", "staff"],
        password=ctx.password,
        must_change_password=False,
        department=getattr(manager, "department", None),
        job_title=title,
        check_strength=False,
    )
    ctx.users["director"] = director
    ctx.people.append(director)


def _movements(items, usage, rng, back_office, others) -> None:
    """A year of movements, simulated week by week and written in one bulk insert."""
    rows = []
    for item in items:
        level = 0
        weekly = usage[item.sku]
        for week in range(52, 0, -1):
            days_ago = week * 7
            if level <= item.reorder_point:
                qty = item.par_level - level
                rows.append(
                    dict(
                        item_id=item.id,
                        kind="receipt",
                        quantity=qty,
                        reason="Recebimento de pedido",
                        actor_id=back_office.id,
                        at=_at(days_ago + 1, rng),
                    )
                )
                level += qty
            take = int(rng.random() * 2 * weekly + 0.5)
            take = min(take, level)
            if take:
                person = rng.choice(others)
                rows.append(
                    dict(
                        item_id=item.id,
                        kind="issue",
                        quantity=-take,
                        reason=None,
                        actor_id=back_office.id,
                        issued_to_id=person.id,
                        department_id=person.department_id,
                        at=_at(days_ago - 2, rng),
                    )
                )
                level -= take
        # Leave about a third of the catalogue running low, for the suggestions page.
        if rng.random() < 0.35 and level > item.reorder_point:
            take = level - max(0, item.reorder_point - rng.randint(0, 2))
            rows.append(
                dict(
                    item_id=item.id,
                    kind="issue",
                    quantity=-take,
                    reason=None,
                    actor_id=back_office.id,
                    issued_to_id=rng.choice(others).id,
                    at=_at(1, rng),
                )
            )
            level -= take
        item.on_hand = level
    for row in rows:
        row.setdefault("issued_to_id", None)
        row.setdefault("department_id", None)
    db.session.execute(StockMovement.__table__.insert(), rows)


def _orders(items, suppliers, rng, back_office, manager, others) -> None:
    """Orders in every state (rows written directly: history is not re-sent)."""
    by_supplier: dict[int, list[SupplyItem]] = {}
    for item in items:
        by_supplier.setdefault(item.supplier_id, []).append(item)
    now = utcnow()
    recepcionista = next((p for p in others if "Natália" in p.name), others[0])

    def order(
        status,
        supplier,
        days_ago,
        *,
        requester=back_office,
        approver=manager,
        on_behalf=None,
        n_lines=3,
        **extra,
    ):
        chosen = rng.sample(by_supplier[supplier.id], min(n_lines, len(by_supplier[supplier.id])))
        created = now - timedelta(days=days_ago)
        o = PurchaseOrder(
            supplier_id=supplier.id,
            status=status,
            requester_id=requester.id,
            created_at=created,
            updated_at=created,
            updated_by_id=requester.id,
        )
        o.lines = [
            PurchaseOrderLine(
                item_id=i.id, quantity=i.pack_size * rng.randint(1, 2), unit_cost=i.unit_cost
            )
            for i in chosen
        ]
        total = sum((ln.unit_cost * ln.quantity for ln in o.lines), Decimal("0"))
        o.total = total.quantize(Decimal("0.01"))
        o.category_id = chosen[0].category_id
        if status != "draft":
            o.submitted_at = created + timedelta(hours=1)
        if status in ("approved", "sent", "partly_received", "received", "closed"):
            o.approver_id = approver.id
            o.on_behalf_of_id = on_behalf.id if on_behalf else None
            o.approved_at = created + timedelta(hours=5)
            o.updated_by_id = approver.id
        if status in ("sent", "partly_received", "received", "closed"):
            o.sent_at = created + timedelta(hours=5, minutes=2)
        for ln in o.lines:
            if status in ("received", "closed"):
                ln.received_qty = ln.quantity
            elif status == "partly_received":
                ln.received_qty = ln.quantity // 2
        for key, value in extra.items():
            setattr(o, key, value)
        db.session.add(o)
        return o

    kalunga, officer, cafe, limpeza = suppliers
    for days in (300, 240, 180, 120, 90, 60, 45):
        order("closed", rng.choice(suppliers), days)
    order("received", kalunga, 12)
    order("received", limpeza, 9)
    order("partly_received", officer, 6, n_lines=2)
    order("sent", cafe, 3)
    order(
        "sent",
        kalunga,
        2,
        requester=recepcionista,
        approver=back_office,
        on_behalf=manager,
        n_lines=2,
    )
    order("pending_approval", officer, 6, n_lines=2, escalated_at=now - timedelta(days=2))
    order("pending_approval", kalunga, 2)
    order("pending_approval", limpeza, 1, n_lines=2)
    order("pending_approval", cafe, 0.2, requester=manager, n_lines=2)
    order("draft", cafe, 1, n_lines=2)
    order(
        "draft",
        kalunga,
        0.5,
        rejected_reason="Quantidade de papel A3 acima do necessário.",
        rejected_by_id=manager.id,
    )
    order("cancelled", limpeza, 20, cancelled_reason="Fornecedor sem estoque; comprado na loja.")
    db.session.flush()

    # One order approved just now through the service: its submission goes through the outbox.
    from portal.services import supplies

    with current_app.test_request_context(base_url=base_origin(current_app.config)):
        live = order("pending_approval", officer, 0.1, n_lines=1)
        db.session.flush()
        supplies.approve_order(live, approver=manager)


def _absences(manager, back_office) -> None:
    """One past absence (Juliana approved on Marcos's behalf), one next week."""
    today = local_today()
    db.session.add_all(
        [
            Delegation(
                manager_id=manager.id,
                delegate_id=back_office.id,
                starts_on=today - timedelta(days=4),
                ends_on=today - timedelta(days=1),
                amount_limit=Decimal("500.00"),
                note="Férias",
            ),
            Delegation(
                manager_id=manager.id,
                delegate_id=back_office.id,
                starts_on=today + timedelta(days=7),
                ends_on=today + timedelta(days=11),
                amount_limit=Decimal("800.00"),
                note="Congresso em Curitiba",
            ),
        ]
    )
    db.session.flush()
