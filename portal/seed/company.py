"""The demo company: departments, about 25 people with Brazilian names, one login per role."""

from __future__ import annotations

from portal.extensions import db
from portal.models import Department
from portal.services import users

ORDER = 0

DEPARTMENTS = ["Administração", "Financeiro", "Comercial", "Recursos Humanos", "TI", "Operações"]

DEMO_LOGINS = [
    # email, name, roles, department, title
    ("admin@example.com", "Rafael Moreira", ["admin", "staff"], "TI", "Analista de TI"),
    (
        "backoffice@example.com",
        "Juliana Costa",
        ["back_office", "staff"],
        "Administração",
        "Assistente administrativa",
    ),
    (
        "manager@example.com",
        "Marcos Oliveira",
        ["office_manager", "staff"],
        "Administração",
        "Gerente administrativo",
    ),
    (
        "hr@example.com",
        "Patrícia Almeida",
        ["hr_manager", "staff"],
        "Recursos Humanos",
        "Analista de RH",
    ),
    ("staff@example.com", "Lucas Ferreira", ["staff"], "Comercial", "Executivo de contas"),
]

PEOPLE = [
    ("Ana Beatriz Santos", "Comercial", "Gerente comercial"),
    ("Bruno Carvalho", "Comercial", "Executivo de contas"),
    ("Camila Rodrigues", "Financeiro", "Analista financeira"),
    ("Diego Nascimento", "Financeiro", "Controller"),
    ("Eduarda Lima", "Operações", "Coordenadora de operações"),
    ("Felipe Araújo", "Operações", "Técnico de campo"),
    ("Gabriela Ribeiro", "Comercial", "Assistente comercial"),
    ("Henrique Gomes", "TI", "Desenvolvedor"),
    ("Isabela Martins", "Financeiro", "Assistente de contas a pagar"),
    ("João Pedro Barbosa", "Operações", "Supervisor de logística"),
    ("Larissa Souza", "Comercial", "Executiva de contas"),
    ("Mateus Pereira", "Operações", "Técnico de campo"),
    ("Natália Cardoso", "Administração", "Recepcionista"),
    ("Otávio Teixeira", "Comercial", "Diretor comercial"),
    ("Paula Rocha", "Financeiro", "Diretora financeira"),
    ("Rodrigo Mendes", "TI", "Coordenador de TI"),
    ("Sofia Correia", "Operações", "Analista de qualidade"),
    ("Thiago Pinto", "Comercial", "Executivo de contas"),
    ("Vitória Dias", "Recursos Humanos", "Assistente de RH"),
    ("William Castro", "Operações", "Motorista"),
]


def _slug(name: str) -> str:
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    parts = plain.split()
    return f"{parts[0]}.{parts[-1]}"


def seed(ctx) -> None:
    departments = {}
    for name in DEPARTMENTS:
        dept = Department(name=name)
        db.session.add(dept)
        departments[name] = dept
    db.session.flush()
    extension = 200
    for email, name, roles, dept, title in DEMO_LOGINS:
        extension += 1
        user = users.create_user(
            actor=None,
            email=email,
            name=name,
            roles=roles,
            password=ctx.password,
            must_change_password=False,
            department=departments[dept],
            job_title=title,
            extension=str(extension),
            phone=f"+5511{ctx.rng.randint(30000000, 39999999)}",
            check_strength=False,
        )
        ctx.users[roles[0]] = user
        ctx.people.append(user)
    for name, dept, title in PEOPLE:
        extension += 1
        user = users.create_user(
            actor=None,
            email=f"{_slug(name)}@example.com",
            name=name,
            roles=["staff"],
            password=ctx.password,
            must_change_password=False,
            department=departments[dept],
            job_title=title,
            extension=str(extension),
            phone=f"+55119{ctx.rng.randint(60000000, 99999999)}",
            check_strength=False,
            locale="pt_BR" if ctx.rng.random() < 0.7 else None,
        )
        ctx.people.append(user)
    ctx.extra["departments"] = departments
