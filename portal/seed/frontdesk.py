"""Demo front desk: months of calls, overdue callbacks, visitors, faxes and staff requests.

Rows are written with bulk inserts (no notifications, no e-mails) so seeding stays fast.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.frontdesk import (
    CALLBACK,
    CLOSED,
    DONE,
    HANDLED,
    IN_PROGRESS,
    MESSAGE,
    NEW,
    OPEN,
    REJECTED,
    RETURNED,
    TRANSFERRED,
    VOID,
    Call,
    Fax,
    RequestComment,
    StaffRequest,
    Visit,
)

ORDER = 10

CALLS = 3500
DAYS = 150

FIRST = [
    "Adriana",
    "Alexandre",
    "André",
    "Antônio",
    "Beatriz",
    "Bruna",
    "Carla",
    "Carlos",
    "Cláudia",
    "Daniel",
    "Daniela",
    "Eduardo",
    "Fábio",
    "Fernanda",
    "Flávia",
    "Gustavo",
    "Helena",
    "Igor",
    "Jéssica",
    "Jorge",
    "José",
    "Júlia",
    "Leandro",
    "Letícia",
    "Luana",
    "Luiz",
    "Marcelo",
    "Márcia",
    "Maria",
    "Mariana",
    "Paulo",
    "Priscila",
    "Renata",
    "Ricardo",
    "Roberto",
    "Sandra",
    "Sérgio",
    "Simone",
    "Tatiana",
    "Vanessa",
    "Vinícius",
]
LAST = [
    "Almeida",
    "Alves",
    "Andrade",
    "Barros",
    "Batista",
    "Cavalcanti",
    "Costa",
    "Cunha",
    "Duarte",
    "Farias",
    "Freitas",
    "Lima",
    "Machado",
    "Melo",
    "Monteiro",
    "Moraes",
    "Moura",
    "Nogueira",
    "Nunes",
    "Pires",
    "Ramos",
    "Reis",
    "Santana",
    "Silva",
    "Soares",
    "Souza",
    "Tavares",
    "Vieira",
]
COMPANIES = [
    "Transportadora Rápido Sul",
    "Papelaria Central Ltda.",
    "Contabilidade Moura & Filhos",
    "Banco do Comércio",
    "Itaúna Seguros",
    "Construtora Horizonte",
    "Gráfica Expressa",
    "Distribuidora Paulista",
    "Clínica Bem-Estar",
    "Escritório Nogueira Advogados",
    "TechSul Informática",
    "Águas Claras Bebidas",
    "Prefeitura de Osasco",
    "Correios",
    "Receita Federal",
    "Viação Cometa",
    "Hotel Jardins",
    "Agência Viva Viagens",
    None,
    None,
]
AREAS = ["11", "11", "11", "11", "19", "21", "31", "41", "51", "13"]
MESSAGES = [
    "Pediu retorno sobre a proposta enviada na semana passada.",
    "Quer confirmar a reunião de quinta às 14h.",
    "Ligou sobre a nota fiscal 4471 — valor divergente.",
    "Precisa do comprovante de pagamento do mês passado.",
    "Solicita segunda via do boleto.",
    "Retornar sobre o orçamento de manutenção do ar-condicionado.",
    "Vai atrasar a entrega para sexta-feira.",
    "Quer agendar uma visita técnica.",
    "Perguntou sobre o status do contrato.",
    "Pediu o contato do setor financeiro.",
    "Reclamação sobre atendimento; pede retorno urgente.",
    "Confirmou o recebimento dos documentos.",
]
REQUESTS = [
    (
        "supplies",
        "Toner para a impressora do 2º andar",
        "A impressora HP do 2º andar está sem toner preto.",
    ),
    ("supplies", "Papel A4", "Acabou o papel A4 na sala de reuniões."),
    ("supplies", "Cadeira nova", "Minha cadeira está com o pistão quebrado."),
    ("equipment_fault", "Notebook não liga", "O notebook não liga desde ontem, mesmo carregado."),
    ("equipment_fault", "Ar-condicionado pingando", "O ar da sala 3 está pingando no chão."),
    ("equipment_fault", "Projetor sem imagem", "O projetor da sala grande não mostra imagem."),
    ("general", "Crachá novo", "Perdi meu crachá de acesso, preciso de um novo."),
    ("general", "Reserva da sala grande", "Preciso da sala grande na próxima terça às 10h."),
    ("general", "Vaga de estacionamento", "Gostaria de uma vaga fixa no estacionamento."),
    ("general", "Atualizar ramal", "Meu ramal mudou para 245, favor atualizar a lista."),
]


def _phone(rng, area: str, mobile: bool) -> str:
    if mobile:
        return f"+55{area}9{rng.randint(6000, 9999)}{rng.randint(0, 9999):04d}"
    return f"+55{area}{rng.choice('2345')}{rng.randint(100, 999)}{rng.randint(0, 9999):04d}"


def _business_time(rng, day_ago: int, now: datetime, zone: ZoneInfo) -> datetime:
    local_day = (now - timedelta(days=day_ago)).astimezone(zone).date()
    while local_day.weekday() >= 5:  # weekends are quiet: move to Friday
        local_day -= timedelta(days=1)
    local = datetime(
        local_day.year,
        local_day.month,
        local_day.day,
        rng.randint(8, 17),
        rng.randint(0, 59),
        rng.randint(0, 59),
        tzinfo=zone,
    )
    return local.astimezone(UTC)


def _callers(rng, count: int = 400) -> list[dict[str, Any]]:
    out = []
    for _ in range(count):
        area = rng.choice(AREAS)
        out.append(
            {
                "name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "company": rng.choice(COMPANIES),
                "phone": _phone(rng, area, rng.random() < 0.6),
            }
        )
    return out


def seed(ctx) -> None:
    from flask import current_app

    now = utcnow()
    zone = ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "America/Sao_Paulo")
    desk = ctx.users.get("back_office") or ctx.people[0]
    staff_login = ctx.users.get("staff") or ctx.people[-1]
    _seed_calls(ctx.rng, now, zone, desk, staff_login, list(ctx.people))
    _seed_visits_and_faxes(ctx.rng, now, zone, desk, list(ctx.people))
    _seed_requests(ctx.rng, now, desk, staff_login, list(ctx.people))
    db.session.flush()


def _seed_calls(rng, now, zone, desk, staff_login, people) -> None:
    callers = _callers(rng)
    frequent = callers[:40]
    rows = []
    for _ in range(CALLS):
        caller = rng.choice(frequent) if rng.random() < 0.45 else rng.choice(callers)
        day_ago = int(rng.random() * DAYS)
        created = _business_time(rng, day_ago, now, zone)
        if created > now:
            created = now - timedelta(minutes=rng.randint(5, 300))
        for_user = staff_login if rng.random() < 0.08 else rng.choice(people)
        outcome = rng.choices([MESSAGE, TRANSFERRED, CALLBACK, HANDLED], [45, 25, 15, 15])[0]
        transferred_to = None
        if outcome == TRANSFERRED and rng.random() < 0.3:
            transferred_to = rng.choice(people)
        recipient = transferred_to or for_user
        due = None
        status = CLOSED
        returned_at = None
        note = None
        if outcome in (MESSAGE, CALLBACK):
            recent = day_ago <= 2
            status = OPEN if recent and rng.random() < 0.6 else RETURNED
            if status == RETURNED:
                returned_at = created + timedelta(minutes=rng.randint(10, 600))
                if rng.random() < 0.3:
                    note = rng.choice(["Retornado, tudo certo.", "Deixei recado.", "Resolvido."])
        if outcome == CALLBACK:
            due = created + timedelta(hours=rng.choice([1, 2, 4, 24]))
        voided = rng.random() < 0.005
        rows.append(
            {
                "direction": "in" if rng.random() < 0.85 else "out",
                "caller_name": caller["name"],
                "company": caller["company"],
                "phone": caller["phone"],
                "for_user_id": for_user.id if outcome != HANDLED or rng.random() < 0.5 else None,
                "transferred_to_id": transferred_to.id if transferred_to else None,
                "recipient_id": recipient.id if outcome != HANDLED else None,
                "message": rng.choice(MESSAGES) if outcome != TRANSFERRED else None,
                "urgent": rng.random() < 0.07,
                "outcome": outcome,
                "status": VOID if voided else status,
                "callback_due_at": due,
                "reminder_sent_at": due if due and due < now and status == RETURNED else None,
                "returned_at": returned_at,
                "return_note": note,
                "logged_by_id": desk.id,
                "created_at": created,
                "voided_at": created + timedelta(minutes=5) if voided else None,
                "void_reason": "Lançado em duplicidade" if voided else None,
            }
        )
    # A few overdue callbacks and open messages for the demo staff login, so the badge shows.
    for hours, outcome in [(3, CALLBACK), (26, CALLBACK), (1, MESSAGE), (5, MESSAGE)]:
        caller = rng.choice(frequent)
        created = now - timedelta(hours=hours)
        rows.append(
            {
                "direction": "in",
                "caller_name": caller["name"],
                "company": caller["company"],
                "phone": caller["phone"],
                "for_user_id": staff_login.id,
                "transferred_to_id": None,
                "recipient_id": staff_login.id,
                "message": rng.choice(MESSAGES),
                "urgent": outcome == CALLBACK,
                "outcome": outcome,
                "status": OPEN,
                "callback_due_at": created + timedelta(hours=1) if outcome == CALLBACK else None,
                "reminder_sent_at": None,
                "returned_at": None,
                "return_note": None,
                "logged_by_id": desk.id,
                "created_at": created,
                "voided_at": None,
                "void_reason": None,
            }
        )
    db.session.execute(insert(Call), rows)


def _seed_visits_and_faxes(rng, now, zone, desk, people) -> None:
    visits = []
    for _ in range(260):
        day_ago = int(rng.random() * DAYS) + 1
        arrived = _business_time(rng, day_ago, now, zone)
        visits.append(
            {
                "visitor_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "company": rng.choice(COMPANIES),
                "host_id": rng.choice(people).id,
                "badge_number": f"V-{rng.randint(1, 40):02d}",
                "arrived_at": arrived,
                "left_at": arrived + timedelta(minutes=rng.randint(20, 180)),
                "logged_by_id": desk.id,
                "created_at": arrived,
            }
        )
    for minutes in (15, 50, 95):  # in the building right now
        arrived = now - timedelta(minutes=minutes)
        visits.append(
            {
                "visitor_name": f"{rng.choice(FIRST)} {rng.choice(LAST)}",
                "company": rng.choice([c for c in COMPANIES if c]),
                "host_id": rng.choice(people).id,
                "badge_number": f"V-{rng.randint(1, 40):02d}",
                "arrived_at": arrived,
                "left_at": None,
                "logged_by_id": desk.id,
                "created_at": arrived,
            }
        )
    db.session.execute(insert(Visit), visits)

    faxes = []
    for _ in range(70):
        created = _business_time(rng, int(rng.random() * DAYS), now, zone)
        if created > now:
            created = now - timedelta(hours=1)
        direction = "in" if rng.random() < 0.7 else "out"
        faxes.append(
            {
                "direction": direction,
                "number": _phone(rng, rng.choice(AREAS), False),
                "correspondent": rng.choice([c for c in COMPANIES if c] + ["Cartório 2º Ofício"]),
                "pages": rng.randint(1, 12),
                "for_user_id": rng.choice(people).id,
                "status": "received"
                if direction == "in"
                else rng.choices(["sent", "failed"], [9, 1])[0],
                "logged_by_id": desk.id,
                "created_at": created,
            }
        )
        # Most faxes have their scan attached, stored the way an upload is.
        no_file = {"stored_name": None, "original_name": None, "size_bytes": None}
        attached = rng.random() < 0.9
        faxes[-1].update(_fax_file(faxes[-1], created.astimezone(zone)) if attached else no_file)
    db.session.execute(insert(Fax), faxes)


def _fax_file(fax: dict[str, Any], when: datetime) -> dict[str, Any]:
    """A small scanned-looking PDF (one page per fax page), kept where uploads go."""
    from fpdf import FPDF

    from portal.services.frontdesk import format_phone, store_fax_pdf

    pdf = FPDF(format="A4")
    pdf.set_title(f"Fax {fax['correspondent']}")
    pages = fax["pages"]
    for n in range(1, pages + 1):
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(0, 10, "FAX", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=11)
        lines = [
            f"De / From: {fax['correspondent']}",
            f"Número / Number: {format_phone(fax['number'])}",
            f"Data / Date: {when:%d/%m/%Y %H:%M}",
            f"Página / Page: {n} / {pages}",
            "",
            "Documento de demonstração gerado pelo portal.",
            "Demo document generated by the portal.",
        ]
        for line in lines:
            pdf.cell(0, 7, line, new_x="LMARGIN", new_y="NEXT")
    stamp = f"{when:%Y%m%d-%H%M}"
    return store_fax_pdf(bytes(pdf.output()), f"fax-{stamp}.pdf")


def _seed_requests(rng, now, desk, staff_login, people) -> None:
    statuses = [NEW] * 5 + [IN_PROGRESS] * 5 + [DONE] * 12 + [REJECTED] * 3
    for n, status in enumerate(statuses):
        kind, title, description = REQUESTS[n % len(REQUESTS)]
        requester = staff_login if n % 4 == 0 else rng.choice(people)
        created = now - timedelta(days=rng.randint(0, 40), hours=rng.randint(1, 8))
        req = StaffRequest(
            type=kind,
            title=title,
            description=description,
            requester_id=requester.id,
            status=status,
            priority=rng.choice(["low", "normal", "normal", "high"]),
            created_at=created,
        )
        if status != NEW:
            req.assignee_id = desk.id
            req.triaged_at = created + timedelta(hours=2)
            req.due_date = (created + timedelta(days=rng.randint(2, 10))).date()
        if status in (DONE, REJECTED):
            req.closed_at = created + timedelta(days=rng.randint(1, 5))
        if status == REJECTED:
            req.reject_reason = "Já existe estoque no almoxarifado; retire com a recepção."
        db.session.add(req)
        db.session.flush()
        if status != NEW:
            db.session.add(
                RequestComment(
                    request_id=req.id,
                    author_id=desk.id,
                    body="Recebido, vamos verificar ainda hoje.",
                    created_at=created + timedelta(hours=3),
                )
            )
            if rng.random() < 0.5:
                db.session.add(
                    RequestComment(
                        request_id=req.id,
                        author_id=requester.id,
                        body="Obrigado! Fico no aguardo.",
                        created_at=created + timedelta(hours=4),
                    )
                )
