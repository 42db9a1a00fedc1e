"""Demo people: ~60 employee records (everyone with a login, plus staff without one), histories,
onboarding for the newest hires, training with one expiring, a few warnings (one waiting for the
demo staff user's acknowledgement), and one exit in progress."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from flask_babel import force_locale
from sqlalchemy import select

from portal.extensions import db
from portal.models import Department
from portal.models.base import utcnow
from portal.models.people import (
    OFFBOARDING,
    ONBOARDING,
    Attendance,
    DisciplinaryWarning,
    Employee,
    EmployeeChange,
    TrainingSession,
)
from portal.services import people
from portal.services.people import cpf as cpf_rules
from portal.services.people.common import fold

ORDER = 40

WITHOUT_LOGIN = [
    ("Adriana Fonseca", "Operações", "Auxiliar de limpeza"),
    ("Alexandre Prado", "Operações", "Técnico de campo"),
    ("Aline Moura", "Comercial", "Vendedora interna"),
    ("André Batista", "Operações", "Auxiliar de logística"),
    ("Bianca Freitas", "Financeiro", "Estagiária de finanças"),
    ("Caio Nogueira", "TI", "Estagiário de TI"),
    ("Carla Vieira", "Operações", "Conferente"),
    ("Cláudio Ramos", "Operações", "Motorista"),
    ("Daniela Cunha", "Comercial", "Vendedora interna"),
    ("Eduardo Monteiro", "Operações", "Técnico de campo"),
    ("Elaine Duarte", "Administração", "Copeira"),
    ("Fábio Rezende", "Operações", "Almoxarife"),
    ("Fernanda Lopes", "Comercial", "Promotora de vendas"),
    ("Gustavo Azevedo", "Operações", "Auxiliar de logística"),
    ("Helena Machado", "Financeiro", "Assistente de faturamento"),
    ("Igor Campos", "Operações", "Técnico de campo"),
    ("Jéssica Brandão", "Comercial", "Promotora de vendas"),
    ("Jorge Amaral", "Operações", "Vigia"),
    ("Karina Peixoto", "Administração", "Recepcionista"),
    ("Leandro Farias", "Operações", "Conferente"),
    ("Lívia Tavares", "Comercial", "Vendedora interna"),
    ("Márcio Sales", "Operações", "Motorista"),
    ("Mariana Barros", "Financeiro", "Assistente de cobrança"),
    ("Nelson Pacheco", "Operações", "Eletricista"),
    ("Patrícia Xavier", "Operações", "Auxiliar de limpeza"),
    ("Renato Queiroz", "Operações", "Técnico de campo"),
    ("Sabrina Lacerda", "Comercial", "Estagiária comercial"),
    ("Sérgio Antunes", "Operações", "Auxiliar de logística"),
    ("Tatiane Bezerra", "Administração", "Auxiliar administrativa"),
    ("Vinícius Rocha", "Operações", "Técnico de campo"),
    ("Wagner Moraes", "Operações", "Eletricista"),
    ("Yasmin Paiva", "Comercial", "Vendedora interna"),
    ("Zeca Magalhães", "Operações", "Porteiro"),
    ("Renata Siqueira", "Financeiro", "Analista fiscal"),
    ("Rui Valente", "TI", "Técnico de suporte"),
]


def _cpf(rng) -> str:
    first = "".join(str(rng.randint(0, 9)) for _ in range(9))
    return first + cpf_rules.check_digits(first)


def seed(ctx) -> None:
    rng = ctx.rng
    hr = ctx.users.get("hr_manager")
    departments = {d.name: d for d in db.session.scalars(select(Department))}
    today = date.today()
    employees: list[Employee] = []
    linked = set(db.session.scalars(select(Employee.user_id).where(Employee.user_id.is_not(None))))
    rows = [
        (u.name, u.department.name if u.department else None, u.job_title, u) for u in ctx.people
    ]
    rows += [(n, d, t, None) for n, d, t in WITHOUT_LOGIN]
    for name, dept, title, user in rows:
        if user is not None and user.id in linked:
            continue
        start = today - timedelta(days=rng.randint(200, 3000))
        contract = "estagio" if "Estagi" in (title or "") else rng.choice(["clt"] * 8 + ["pj"])
        employee = Employee(
            user_id=user.id if user else None,
            name=name,
            cpf=_cpf(rng),
            birth_date=date(rng.randint(1965, 2003), rng.randint(1, 12), rng.randint(1, 28)),
            email=f"{fold(name).replace(' ', '.')}@pessoal.example.org",
            phone=f"+55119{rng.randint(60000000, 99999999)}",
            emergency_contact=f"{rng.choice(['Maria', 'José', 'Ana', 'Carlos'])} (família) "
            f"+55119{rng.randint(60000000, 99999999)}",
            address=f"Rua {rng.choice(['das Flores', 'Augusta', 'Vergueiro', 'Harmonia'])}, "
            f"{rng.randint(10, 2000)} — São Paulo/SP",
            position=title or "Colaborador",
            department=departments.get(dept),
            contract_type=contract,
            working_hours="Seg–Sex 08:00–17:00",
            salary=Decimal(rng.randrange(180000, 1500000, 500)) / 100,
            start_date=start,
        )
        people.refresh_search_key(employee)
        db.session.add(employee)
        employees.append(employee)
    db.session.flush()
    # Managers: the first person of each department with a login manages the others.
    heads: dict[int | None, int] = {}
    for e in employees:
        if e.user_id and e.department_id not in heads:
            heads[e.department_id] = e.user_id
    for e in employees:
        head = heads.get(e.department_id)
        if head and head != e.user_id:
            e.manager_id = head
    # Histories: a promotion and a raise for a third of them.
    for e in employees[::3]:
        when = e.start_date + timedelta(days=rng.randint(90, 180))
        db.session.add(
            EmployeeChange(
                employee_id=e.id,
                field="position",
                old_value=f"{e.position} júnior",
                new_value=e.position,
                effective_on=when,
                actor_id=hr.id if hr else None,
            )
        )
        db.session.add(
            EmployeeChange(
                employee_id=e.id,
                field="salary",
                old_value=str((e.salary or Decimal(0)) * Decimal("0.9")),
                new_value=str(e.salary),
                effective_on=when,
                actor_id=hr.id if hr else None,
            )
        )
    if hr is None:
        return
    # The two newest hires: onboarding in progress, one step overdue.
    newest = employees[-2:]
    for e in newest:
        e.start_date = today - timedelta(days=10)
        tasks = people.create_checklist(e, ONBOARDING, actor=hr, start=e.start_date)
        tasks[0].done_at = utcnow()
        tasks[0].done_by_id = hr.id
    # Training: two mandatory courses, one optional; attendance with validity.
    fire = people.create_course(
        actor=hr, title="Brigada de incêndio", mandatory=True, external=True, validity_months=12
    )
    lgpd = people.create_course(
        actor=hr,
        title="LGPD para colaboradores",
        mandatory=True,
        external=False,
        validity_months=24,
    )
    people.create_course(
        actor=hr, title="Excel avançado", mandatory=False, external=True, validity_months=None
    )
    for course, held, count in (
        (fire, today - timedelta(days=340), 20),
        (lgpd, today - timedelta(days=200), 40),
    ):
        session = TrainingSession(
            course_id=course.id, held_on=held, place="Sala 2", trainer="SESMT"
        )
        db.session.add(session)
        db.session.flush()
        for e in employees[:count]:
            attendance = Attendance(session_id=session.id, employee_id=e.id)
            db.session.add(attendance)
            db.session.flush()
            people.record_attendance(attendance, actor=hr, attended=rng.random() > 0.1)
    # Warnings: the demo staff user has one waiting for acknowledgement.
    staff = ctx.users.get("staff")
    by_user = {e.user_id: e for e in employees if e.user_id}
    targets = [by_user.get(staff.id) if staff else None, employees[20], employees[30]]
    levels = ["written", "verbal", "final"]
    for e, level in zip(targets, levels, strict=False):
        if e is None:
            continue
        db.session.add(
            DisciplinaryWarning(
                employee_id=e.id,
                level=level,
                facts="Atrasos repetidos sem justificativa nas últimas três semanas.",
                occurred_on=today - timedelta(days=rng.randint(3, 40)),
                policy="Regulamento interno, item 4.2 (pontualidade)",
                witness="Marcos Oliveira",
                lapses_on=today + timedelta(days=300),
                issued_by_id=hr.id,
                status="pending" if e is targets[0] else "acknowledged",
            )
        )
    # Checklist templates HR edits on /people/checklists: the receptionist's onboarding (a step
    # for the back office by name) and the company's offboarding.
    desk = ctx.users.get("back_office")
    people.save_template(
        None,
        actor=hr,
        kind=ONBOARDING,
        department_id=None,
        position="Recepcionista",
        steps=[
            {"title": "Conta no portal criada", "days": 0, "assignee": "hr"},
            {"title": "Crachá e chaves da recepção entregues", "days": 0, "assignee": "hr"},
            *(
                [
                    {
                        "title": "Treinamento na central telefônica e no console",
                        "days": 2,
                        "assignee": "person",
                        "user_id": desk.id,
                    }
                ]
                if desk
                else []
            ),
            {"title": "Manual de atendimento lido", "days": 5, "assignee": "employee"},
        ],
    )
    people.save_template(
        None,
        actor=hr,
        kind=OFFBOARDING,
        department_id=None,
        position=None,
        steps=[
            {"title": "Contas do portal e do e-mail encerradas", "days": 0, "assignee": "hr"},
            {"title": "Crachá e chaves devolvidos", "days": 0, "assignee": "hr"},
            {"title": "Passagem de trabalho com o gestor", "days": -3, "assignee": "manager"},
            {
                "title": "Documentos finais assinados (TRCT, exame demissional)",
                "days": 10,
                "assignee": "hr",
            },
        ],
    )
    # One exit in progress: someone with a login who still holds a laptop or phone (listed on
    # the offboarding checklist), last day in ten days, the work handed to the back office.
    demo_logins = {u.id for u in ctx.users.values()}
    holders = [
        e
        for e in employees
        if e.user_id and e.user_id not in demo_logins and people.held_assets(e.user_id)
    ]
    leaving = holders[-1] if holders else employees[-5]
    with force_locale("pt_BR"):  # the checklist's lines are stored as written
        people.record_termination(
            leaving,
            actor=hr,
            reason="resignation",
            notice_on=today - timedelta(days=20),
            last_day=today + timedelta(days=10),
            handover_to=desk if desk and desk.id != leaving.user_id else None,
        )
