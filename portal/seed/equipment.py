"""Demo equipment: ~40 assets over two floors (printers, multifunctions, a copier, a fax,
projectors, laptops and phones held by people), service contracts, a year of monthly meter
readings, toner linked to the supplies catalogue and fitted over the year, checklists for the
common printers, faults (some solved with the checklist), repairs, downtime and upkeep plans."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.equipment import (
    ChecklistStep,
    Consumable,
    ConsumableUse,
    Downtime,
    Event,
    Fault,
    Plan,
    Reading,
    Repair,
    model_key,
)
from portal.models.supplies import Supplier, SupplyItem
from portal.services import equipment
from portal.services.equipment.common import day_start

ORDER = 40

# tag, type, make, model, floor, room, department, monthly pages (mono, colour), price mono/colour
MACHINES = [
    (
        "MFP-2001",
        "multifunction",
        "Ricoh",
        "SP 3710",
        "2º andar",
        "Corredor norte",
        "Administração",
        (4200, 0),
        "0.0350",
        None,
    ),
    (
        "MFP-2002",
        "multifunction",
        "Ricoh",
        "SP 3710",
        "2º andar",
        "Financeiro",
        "Financeiro",
        (3100, 0),
        "0.0350",
        None,
    ),
    (
        "MFP-1001",
        "multifunction",
        "Ricoh",
        "SP 3710",
        "1º andar",
        "Comercial",
        "Comercial",
        (2600, 0),
        "0.0350",
        None,
    ),
    (
        "CPY-1001",
        "copier",
        "Ricoh",
        "IM C3000",
        "1º andar",
        "Sala de cópias",
        "Administração",
        (6800, 2100),
        "0.0290",
        "0.2100",
    ),
    (
        "PRN-2001",
        "printer",
        "HP",
        "LaserJet P1102",
        "2º andar",
        "RH",
        "Recursos Humanos",
        (900, 0),
        None,
        None,
    ),
    (
        "PRN-2002",
        "printer",
        "HP",
        "LaserJet P1102",
        "2º andar",
        "Diretoria",
        "Administração",
        (600, 0),
        None,
        None,
    ),
    (
        "PRN-1001",
        "printer",
        "HP",
        "LaserJet P1102",
        "1º andar",
        "Recepção",
        "Administração",
        (750, 0),
        None,
        None,
    ),
    (
        "PRN-1002",
        "printer",
        "HP",
        "LaserJet P1102",
        "1º andar",
        "Operações",
        "Operações",
        (1100, 0),
        None,
        None,
    ),
    ("PRN-2003", "printer", "Brother", "DCP-L2540", "2º andar", "TI", "TI", (500, 0), None, None),
    (
        "PRN-1003",
        "printer",
        "Brother",
        "DCP-L2540",
        "1º andar",
        "Expedição",
        "Operações",
        (1300, 0),
        None,
        None,
    ),
    (
        "PRN-1004",
        "printer",
        "Brother",
        "DCP-L2540",
        "1º andar",
        "Comercial",
        "Comercial",
        (800, 0),
        None,
        None,
    ),
    (
        "FAX-1001",
        "fax",
        "Brother",
        "FAX-2840",
        "1º andar",
        "Recepção",
        "Administração",
        (120, 0),
        None,
        None,
    ),
]
OTHERS = [
    ("PRJ-2001", "projector", "Epson", "PowerLite E20", "2º andar", "Sala de reuniões 1"),
    ("PRJ-2002", "projector", "Epson", "PowerLite E20", "2º andar", "Sala de reuniões 2"),
    ("PRJ-1001", "projector", "Epson", "PowerLite X49", "1º andar", "Auditório"),
    ("OTH-1001", "other", "Henry", "Prisma Super Fácil", "1º andar", "Recepção"),
]
TONERS = {  # make + model -> (supply SKU, yield in pages)
    "HP LaserJet P1102": ("TON-HP-85A", 1600),
    "Brother DCP-L2540": ("TON-BR-2370", 2600),
    "Ricoh SP 3710": ("TON-RC-SP3710", 7000),
}
PAPER_SKU = "PAP-A4-CHX"
STEPS = [  # type, make + model ("" for every machine of the type), title, body
    (
        "printer",
        "",
        "Verifique se está ligada e com papel",
        "Veja se a luz verde está acesa e se a bandeja tem papel A4.",
    ),
    (
        "printer",
        "",
        "Desligue e ligue de novo",
        "Desligue no botão, aguarde 30 segundos e ligue de novo.",
    ),
    (
        "printer",
        "HP LaserJet P1102",
        "Papel atolado",
        "Abra a tampa do toner, retire o cartucho e puxe o papel devagar com as duas mãos.",
    ),
    (
        "multifunction",
        "",
        "Papel atolado na bandeja 2: abra a porta B",
        "Abra a porta B do lado direito, puxe a alavanca verde e retire o papel.",
    ),
    (
        "multifunction",
        "Ricoh SP 3710",
        "Erro SC542 ou “Chame o técnico”",
        "Desligue, aguarde 1 minuto e ligue. Se voltar, relate o defeito com o código.",
    ),
    (
        "multifunction",
        "",
        "Digitalização não chega no e-mail",
        "Confira o endereço na tela e se a pasta de spam recebeu a mensagem.",
    ),
    (
        "copier",
        "",
        "Cópia com manchas",
        "Limpe o vidro do scanner e a faixa estreita à esquerda com um pano seco.",
    ),
]
CHECKLIST_MODELS = {"multifunction", "printer", "copier"}


def _months_back(today: date, n: int) -> date:
    index = today.year * 12 + today.month - 1 - n
    return date(index // 12, index % 12 + 1, 5)


def seed(ctx) -> None:
    rng = ctx.rng
    office = ctx.users.get("back_office")
    departments = ctx.extra.get("departments", {})
    vendor = db.session.scalar(select(Supplier).order_by(Supplier.id).offset(1).limit(1))
    today = equipment.today_local()
    assets = []
    for i, (tag, kind, make, model, floor, room, dept, pages, pm, pc) in enumerate(MACHINES):
        contract_end = today + timedelta(days=(25 + 40 * i) if i % 3 == 0 else 200 + 30 * i)
        asset = equipment.save_asset(
            None,
            actor=office,
            data={
                "asset_tag": tag,
                "type": kind,
                "make": make,
                "model": model,
                "serial": f"{make[:2].upper()}{rng.randint(10**7, 10**8 - 1)}",
                "floor": floor,
                "room": room,
                "department_id": departments[dept].id if dept in departments else None,
                "purchase_date": today - timedelta(days=400 + 30 * i),
                "purchase_cost": "4890.00" if kind in ("multifunction", "copier") else "1290.00",
                "vendor_id": vendor.id if vendor else None,
                "repair_email": "assistencia@tecnoprint.example.com",
                "repair_phone": "+551130405070",
                "contract_number": f"TP-{2024 + i % 2}-{100 + i}" if pm else None,
                "contract_start": today - timedelta(days=365) if pm else None,
                "contract_end": contract_end if pm else None,
                "contract_covers": "Peças, mão de obra e visitas técnicas" if pm else None,
                "response_hours": 8 if kind in ("multifunction", "copier") else 24,
                "price_mono": pm,
                "price_colour": pc,
                "warranty_end": today + timedelta(days=45) if i == 5 else None,
            },
        )
        assets.append((asset, pages))
    for tag, kind, make, model, floor, room in OTHERS:
        equipment.save_asset(
            None,
            actor=office,
            data={
                "asset_tag": tag,
                "type": kind,
                "make": make,
                "model": model,
                "floor": floor,
                "room": room,
            },
        )
    staff = [p for p in ctx.people if p.active][:22]
    for n, person in enumerate(staff):
        personal = n % 3 != 2
        equipment.save_asset(
            None,
            actor=office,
            data={
                "asset_tag": f"{'NB' if personal else 'CEL'}-{n + 1:04d}",
                "type": "laptop" if personal else "phone",
                "make": "Dell" if personal else "Motorola",
                "model": "Latitude 5440" if personal else "Moto G84",
                "serial": f"{'DL' if personal else 'MT'}{rng.randint(10**7, 10**8 - 1)}",
                "floor": "2º andar" if n % 2 else "1º andar",
                "department_id": person.department_id,
                "holder_id": person.id,
                "purchase_date": today - timedelta(days=200 + 10 * n),
                "purchase_cost": "5490.00" if personal else "1499.00",
                "warranty_end": today + timedelta(days=30 + 25 * n),
            },
        )
    db.session.flush()
    _readings_and_toner(assets, today, rng, office)
    _checklists()
    _faults_and_repairs(assets, ctx, office, today)
    for asset, _pages in assets:
        if asset.type in ("multifunction", "copier"):
            db.session.add(
                Plan(
                    asset_id=asset.id,
                    title="Limpeza, roletes e kit de manutenção",
                    every_months=6,
                    last_done_on=today
                    - timedelta(days=190 if asset.asset_tag == "MFP-2001" else 120),
                )
            )
    db.session.flush()
    equipment.open_due_tasks(today)


def _readings_and_toner(assets, today, rng, office) -> None:
    items = {i.sku: i for i in db.session.scalars(select(SupplyItem))}
    for key, (sku, yield_pages) in TONERS.items():
        if sku in items:
            db.session.add(
                Consumable(
                    model_key=model_key(*key.split(" ", 1)),
                    item_id=items[sku].id,
                    yield_pages=yield_pages,
                )
            )
    if PAPER_SKU in items:
        for make, model in (("Ricoh", "SP 3710"), ("Ricoh", "IM C3000")):
            db.session.add(
                Consumable(model_key=model_key(make, model), item_id=items[PAPER_SKU].id)
            )
    readings, uses, events = [], [], []
    for asset, (mono, colour) in assets:
        counter_m, counter_c = (
            rng.randint(20_000, 90_000),
            rng.randint(5_000, 20_000) if colour else 0,
        )
        toner = TONERS.get(f"{asset.make} {asset.model}")
        since_toner = 0
        for back in range(12, -1, -1):
            day = _months_back(today, back)
            if day > today:
                continue
            pm = 0 if back == 12 else int(mono * rng.uniform(0.7, 1.3))
            pc = 0 if back == 12 else int(colour * rng.uniform(0.7, 1.3))
            counter_m += pm
            counter_c += pc
            readings.append(
                {
                    "asset_id": asset.id,
                    "read_on": day,
                    "mono": counter_m,
                    "colour": counter_c,
                    "pages_mono": pm,
                    "pages_colour": pc,
                    "counter_replaced": False,
                    "actor_id": office.id if office else None,
                }
            )
            since_toner += pm
            if toner and toner[0] in items and since_toner >= toner[1] * 0.9:
                item = items[toner[0]]
                uses.append(
                    {
                        "asset_id": asset.id,
                        "item_id": item.id,
                        "quantity": 1,
                        "unit_cost": item.unit_cost,
                        "issued_on": day + timedelta(days=1),
                        "counter_at_issue": counter_m + counter_c,
                        "actor_id": office.id if office else None,
                    }
                )
                events.append(
                    {
                        "asset_id": asset.id,
                        "kind": "consumable",
                        "summary": f"{item.name} × 1",
                        "at": day_start(day + timedelta(days=1)),
                    }
                )
                since_toner = 0
    db.session.execute(insert(Reading), readings)
    if uses:
        db.session.execute(insert(ConsumableUse), uses)
    if events:
        db.session.execute(insert(Event), events)


def _checklists() -> None:
    for n, (kind, key, title, body) in enumerate(STEPS):
        mk = model_key(*key.split(" ", 1)) if key else ""
        db.session.add(
            ChecklistStep(
                asset_type=kind,
                model_key=mk,
                position=n,
                title=title,
                body=body,
                solved_count=(3 if n in (0, 3) else 1),
            )
        )
    db.session.flush()


def _faults_and_repairs(assets, ctx, office, today) -> None:
    people = [p for p in ctx.people if p.active] or [office]
    by_tag = {a.asset_tag: a for a, _p in assets}
    now = utcnow()
    step = db.session.scalar(
        select(ChecklistStep)
        .where(ChecklistStep.asset_type == "multifunction")
        .order_by(ChecklistStep.position)
    )
    # solved by the user with the checklist
    for n, tag in enumerate(("MFP-2001", "MFP-1001", "MFP-2002")):
        db.session.add(
            Fault(
                asset_id=by_tag[tag].id,
                reporter_id=people[n % len(people)].id,
                description=step.title if step else "Papel atolado",
                status="solved_by_user",
                solved_by_step_id=step.id if step else None,
                created_at=now - timedelta(days=40 - 9 * n),
                closed_at=now - timedelta(days=40 - 9 * n),
            )
        )
    # a repaired copier: fault, repair closed with a cost, downtime of two days
    copier = by_tag["CPY-1001"]
    started = now - timedelta(days=75)
    fault = Fault(
        asset_id=copier.id,
        reporter_id=people[1 % len(people)].id,
        description="Cópias saem com uma faixa preta no meio da folha.",
        error_code="SC400",
        status="closed",
        created_at=started,
        closed_at=started + timedelta(days=2),
    )
    db.session.add(fault)
    db.session.flush()
    db.session.add(
        Repair(
            asset_id=copier.id,
            fault_id=fault.id,
            status="closed",
            vendor_email="assistencia@tecnoprint.example.com",
            vendor_reference="OS-88213",
            requested_at=started + timedelta(hours=1),
            response_due_at=started + timedelta(hours=9),
            promised_visit_at=started + timedelta(hours=20),
            closed_at=started + timedelta(days=2),
            cost=Decimal("480.00"),
            parts="Unidade de revelação",
            work_done="Troca da unidade de revelação e limpeza do cilindro.",
            requested_by_id=office.id,
            closed_by_id=office.id,
        )
    )
    db.session.add(
        Downtime(
            asset_id=copier.id,
            started_at=started,
            ended_at=started + timedelta(days=2),
            minutes=2 * 24 * 60,
        )
    )
    # out of order now, with a fault waiting for the back office
    printer = by_tag["PRN-1002"]
    equipment.report_fault(
        printer,
        reporter=people[2 % len(people)],
        description="A impressora puxa duas folhas de uma vez e trava.",
        error_code="E-13",
    )
    equipment.mark_out_of_order(printer, actor=office)
    # the vendor already called for another multifunction
    mfp = by_tag["MFP-2002"]
    waiting = equipment.report_fault(
        mfp,
        reporter=people[3 % len(people)],
        description="Erro SC542 depois de ligar; não imprime.",
        error_code="SC542",
    )
    equipment.call_vendor(waiting, actor=office, note="Preferência de visita pela manhã.")
