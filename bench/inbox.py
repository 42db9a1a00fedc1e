"""Shared-inbox benchmark (``make bench-inbox``): the portal's fetch job vs a bare IMAP loop.

    python -m bench.inbox [--messages 600] [--reps 5] [--database-url postgresql://...]

1. Starts a private dovecot on a loopback port (the tests' ``tests/inbox/dovecot.py``: its own
   configuration, mail and run directories in a temporary directory; nothing of the machine's
   dovecot service is used) and delivers ``--messages`` e-mails into one folder with IMAP APPEND:
   a realistic mix for a company's "contato@" mailbox — plain-text Portuguese mail with accents
   (some of it replies quoting earlier mail), multipart text + HTML newsletters and web-mail,
   mail with a PDF attachment (an invoice or a CV), a few auto-replies and a bounce.
2. Measures, interleaved, ``--reps`` times against that same folder on 127.0.0.1:
   - baseline: a bare imapclient loop — log in, select the folder read-only, FETCH ``RFC822`` of
     every UID in one command and parse each message with ``email.parser`` (policy.default:
     subject, sender, the text body, the attachments' bytes).  No database, no checks;
   - portal: ``worker.jobs.inbox.fetch_mailbox`` ingesting the same folder into a fresh database
     (SQLite by default; ``--database-url`` for PostgreSQL, whose tables are dropped and
     recreated): claim with a lease, log in, the exactly-once inserts keyed by UIDVALIDITY + UID
     and Message-ID, parsing, quoted-text stripping, auto-reply detection, attachment checks
     (PDF/DOCX screened and inspected in the parser sandbox, as uploads are), the commit of each
     batch with the position, and ``\\Seen`` set on the server.
   Both from the same process, one after the other; wall-clock messages/s and this process's
   CPU per message.  Goal: portal >= 50 % of the baseline's messages/s (median of the per-rep
   ratios).  No absolute time is asserted anywhere.

Results go to bench/RESULTS-inbox.md (the file's "## History" section is kept).  Nothing here runs
in the test suite.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/12")
IMAP_USER, IMAP_PASSWORD = "contato", "bench-Imap-Secret-42"
FOLDER = "Bench"

FIRST = ["João", "Conceição", "Antônio", "Márcia", "Sebastião", "Inês", "Vinícius", "Letícia"]
LAST = ["Araújo", "Gonçalves", "Simões", "Magalhães", "Brandão", "Assunção", "Falcão", "Sá"]
SUBJECTS = [
    "Orçamento de manutenção da copiadora",
    "Dúvida sobre a entrega do pedido",
    "Reunião de quinta-feira às 14h",
    "Solicitação de visita técnica",
    "Atualização cadastral — razão social",
    "Cotação de papel A4 e toner",
    "Reclamação: atendimento telefônico",
    "Confirmação de agendamento",
]
PHRASES = [
    "Bom dia, tudo bem? Gostaria de saber se é possível antecipar a entrega para sexta-feira.",
    "Segue em anexo a nota fiscal referente ao pedido do mês passado, conforme combinado.",
    "Não consegui falar com o setor responsável; poderiam retornar a ligação amanhã de manhã?",
    "A impressora do segundo andar está com atolamento de papel desde ontem à tarde.",
    "Agradeço a atenção e fico no aguardo de uma posição até o fim da semana.",
    "Precisamos de três caixas de papel sulfite, duas resmas de papel reciclado e canetas azuis.",
    "O técnico esteve aqui, trocou o fusor e pediu para avisarmos se o problema voltar.",
    "Por favor, confirmem o recebimento desta mensagem e o número do protocolo de atendimento.",
]


# --- the corpus ---------------------------------------------------------------------------------


def _person(rng: random.Random) -> tuple[str, str]:
    first, last = rng.choice(FIRST), rng.choice(LAST)
    local = f"{first}.{last}".lower().translate(str.maketrans("ãâáàçéêíóôõúü", "aaaaceeiooouu"))
    return f"{first} {last}", f"{local}{rng.randint(1, 999)}@cliente{rng.randint(1, 40)}.com.br"


def _text(rng: random.Random, paragraphs: int) -> str:
    return "\n\n".join(
        " ".join(rng.choice(PHRASES) for _ in range(rng.randint(2, 5))) for _ in range(paragraphs)
    )


def _pdf(rng: random.Random, i: int) -> bytes:
    from portal.seed.recruiting import text_pdf

    lines = [f"Nota fiscal nº {1000 + i} - Papelaria Conceição Ltda.", ""]
    lines += [f"{rng.randint(1, 20)} x item {n}: R$ {rng.randint(5, 400)},00" for n in range(15)]
    lines += ["", "Vencimento: 10/12/2026. Obrigado pela preferência!"]
    return text_pdf("\n".join(lines))


def corpus(n: int, seed: int = 14) -> tuple[list[bytes], dict[str, int]]:
    """``n`` raw messages and how many of each kind (plain, reply, html, pdf, auto, bounce)."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    pdfs = [_pdf(rng, i) for i in range(8)]  # a few distinct invoices, reused
    earlier: list[tuple[str, str]] = []  # (Message-ID, subject) that replies refer to
    out: list[bytes] = []
    kinds = dict.fromkeys(("plain", "reply", "html", "pdf", "auto-reply", "bounce"), 0)
    for i in range(n):
        roll = rng.random()
        kind = (
            "bounce" if i % 100 == 99 else
            "auto-reply" if roll < 0.05 else
            "pdf" if roll < 0.20 else
            "html" if roll < 0.45 else
            "reply" if roll < 0.65 and earlier else
            "plain"
        )  # fmt: skip
        kinds[kind] += 1
        name, address = _person(rng)
        msg = EmailMessage()
        msg["From"] = f"{name} <{address}>"
        msg["To"] = "Contato <contato@empresa.com.br>"
        msg["Date"] = format_datetime(now - timedelta(minutes=n - i))
        msg["Message-ID"] = make_msgid(domain=address.split("@")[1])
        subject = rng.choice(SUBJECTS)
        body = _text(rng, rng.randint(1, 4)) + f"\n\nAtenciosamente,\n{name}\n"
        if kind == "reply":
            parent, subject = rng.choice(earlier[-50:])
            subject = f"Re: {subject}"
            msg["In-Reply-To"] = parent
            msg["References"] = parent
            quoted = "\n".join("> " + line for line in _text(rng, 2).splitlines())
            body += f"\nEm seg., 1 de dez. de 2026 às 09:12, Contato escreveu:\n{quoted}\n"
        elif kind == "auto-reply":
            subject = f"Resposta automática: {subject}"
            msg["Auto-Submitted"] = "auto-replied"
            body = "Estou fora do escritório até o dia 10 e responderei assim que voltar."
        elif kind == "bounce":
            msg.replace_header("From", "Mail Delivery System <MAILER-DAEMON@mx.cliente.com.br>")
            msg["Return-Path"] = "<>"
            subject = "Undelivered Mail Returned to Sender"
            body = "Não foi possível entregar a mensagem: caixa postal cheia (552 5.2.2)."
        msg["Subject"] = subject
        msg.set_content(body)
        if kind == "html":
            paras = "".join(f"<p>{p}</p>" for p in body.split("\n\n"))
            msg.add_alternative(
                f"<html><head><style>p{{margin:0}}</style></head><body>{paras}"
                '<table><tr><td><img src="cid:logo"></td></tr></table></body></html>',
                subtype="html",
            )
        elif kind == "pdf":
            msg.add_attachment(
                rng.choice(pdfs),
                maintype="application",
                subtype="pdf",
                filename=f"Nota fiscal {rng.randint(100, 999)}.pdf",
            )
        earlier.append((msg["Message-ID"], subject))
        out.append(msg.as_bytes())
    return out, kinds


# --- baseline: a bare imapclient fetch-and-parse loop ---------------------------------------


def _read_default(raw: bytes, parser: BytesParser) -> None:
    msg = parser.parsebytes(raw)
    _ = (msg["Subject"], msg["From"], msg["Message-ID"], msg["Date"])
    body = msg.get_body(preferencelist=("plain", "html"))
    _ = body.get_content() if body is not None else ""
    for part in msg.iter_attachments():
        _ = part.get_content()


def _read_compat32(raw: bytes, parser: BytesParser) -> None:
    msg = parser.parsebytes(raw)
    _ = (msg["Subject"], msg["From"], msg["Message-ID"], msg["Date"])
    for part in msg.walk():
        if part.is_multipart():
            continue
        data = part.get_payload(decode=True) or b""
        if part.get_content_maintype() == "text":
            _ = data.decode(part.get_content_charset() or "utf-8", "replace")


BASELINES = {
    "default": (policy.default, _read_default),
    "compat32": (policy.compat32, _read_compat32),
}


def baseline_run(server, n: int, kind: str = "default") -> float:
    """Seconds for the bare loop to fetch and parse every message of the folder.

    ``default``: ``email.parser`` with ``policy.default``, the API the documentation recommends
    (subject, sender, Message-ID, date, the text body and each attachment's content);
    ``compat32``: the cheapest parse the standard library has (the same headers as raw strings,
    every part's payload decoded, text parts to ``str``) — the stricter baseline."""
    from imapclient import IMAPClient

    parse_policy, read = BASELINES[kind]
    parser = BytesParser(policy=parse_policy)
    started = time.perf_counter()
    imap = IMAPClient(server.host, port=server.port, ssl=False, timeout=30)
    imap.login(IMAP_USER, IMAP_PASSWORD)
    imap.select_folder(FOLDER, readonly=True)
    uids = imap.search("ALL")
    parsed = 0
    for _uid, data in imap.fetch(uids, ["RFC822"]).items():
        read(data[b"RFC822"], parser)
        parsed += 1
    imap.logout()
    elapsed = time.perf_counter() - started
    assert parsed == n, (parsed, n)
    return elapsed


# --- the portal's fetch job ---------------------------------------------------------------------


def _app(database_url: str, workdir: Path):
    from portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": SECRET,
            "UPLOAD_FOLDER": str(workdir / "uploads"),
            "REDIS_URL": REDIS_URL,
        }
    )


def _fresh_schema(app) -> None:
    from portal.extensions import db

    with app.app_context():
        db.drop_all()
        db.create_all()


def _add_mailbox(server, folder: str) -> int:
    from portal.extensions import db
    from portal.models.inbox import Mailbox
    from portal.services.inbox import crypto

    box = Mailbox(
        name=f"Contato {folder}",
        host=server.host,
        port=server.port,
        security="none",
        username=IMAP_USER,
        password_encrypted=crypto.encrypt(IMAP_PASSWORD),
        folder=folder,
        after_fetch="seen",
        last_uid=0,
    )
    db.session.add(box)
    db.session.commit()
    return box.id


def portal_run(app, server, n: int, kinds: dict[str, int]) -> tuple[float, float, int]:
    """(seconds, CPU seconds of this process, queries) for the job to ingest the folder."""
    from sqlalchemy import event, func, select

    from portal.extensions import db
    from portal.models.inbox import InboxAttachment, InboxMessage
    from worker.jobs.inbox import fetch_mailbox

    _fresh_schema(app)
    with app.app_context():
        # Warm-up, untimed: imports, the first connection and the parser sandbox, as in a
        # running worker (a long-lived process that has fetched before).
        warm = _add_mailbox(server, "Warmup")
        fetch_mailbox(warm)
        mailbox_id = _add_mailbox(server, FOLDER)
        queries = [0]

        def count(*_args) -> None:
            queries[0] += 1

        event.listen(db.engine, "before_cursor_execute", count)
        cpu = time.process_time()
        started = time.perf_counter()
        added = fetch_mailbox(mailbox_id)
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu
        event.remove(db.engine, "before_cursor_execute", count)
        db.session.remove()
        stored = db.session.scalar(
            select(func.count(InboxMessage.id)).where(InboxMessage.mailbox_id == mailbox_id)
        )
        automatic = db.session.scalar(
            select(func.count(InboxMessage.id)).where(
                InboxMessage.mailbox_id == mailbox_id, InboxMessage.automatic.is_not(None)
            )
        )
        kept = db.session.scalar(
            select(func.count(InboxAttachment.id))
            .join(InboxMessage)
            .where(InboxMessage.mailbox_id == mailbox_id, InboxAttachment.data.is_not(None))
        )
        db.session.remove()
        db.engine.dispose()
    assert added == stored == n, (added, stored, n)
    assert automatic == kinds["auto-reply"] + kinds["bounce"], (automatic, kinds)
    assert kept == kinds["pdf"], (kept, kinds)
    return elapsed, cpu, queries[0]


# --- the run ------------------------------------------------------------------------------------


def _baseline_cpu(server, n: int, kind: str) -> tuple[float, float]:
    cpu = time.process_time()
    elapsed = baseline_run(server, n, kind)
    return elapsed, time.process_time() - cpu


def run(args: argparse.Namespace) -> str:
    from tests.inbox.dovecot import Dovecot

    workdir = Path(args.workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    database_url = args.database_url or f"sqlite:///{workdir / 'inbox.db'}"
    dialect = "postgresql" if database_url.startswith("postgres") else "sqlite"
    raws, kinds = corpus(args.messages)
    warm, _ = corpus(6, seed=3)
    warm.append(corpus(40, seed=5)[0][-1])
    # Not under a 0700 directory: dovecot's unprivileged processes must reach it.
    root = Path(tempfile.mkdtemp(prefix="portal-bench-dovecot-"))
    server = Dovecot(root)
    server.add_user(IMAP_USER, IMAP_PASSWORD)
    server.start()
    try:
        with server.client(IMAP_USER) as imap:
            imap.create_folder(FOLDER)
            imap.create_folder("Warmup")
        started = time.perf_counter()
        server.append_many(IMAP_USER, raws, FOLDER)
        server.append_many(IMAP_USER, warm, "Warmup")
        print(f"delivered {len(raws)} messages in {time.perf_counter() - started:.1f} s {kinds}")
        app = _app(database_url, workdir)
        for kind in BASELINES:  # warm-up: imports, dovecot's caches
            baseline_run(server, len(raws), kind)
        base: dict[str, list[tuple[float, float]]] = {kind: [] for kind in BASELINES}
        portal: list[tuple[float, float, int]] = []
        for rep in range(args.reps):
            for kind in BASELINES:
                base[kind].append(_baseline_cpu(server, len(raws), kind))
            portal.append(portal_run(app, server, len(raws), kinds))
            rates = {k: len(raws) / v[-1][0] for k, v in base.items()}
            rate = len(raws) / portal[-1][0]
            print(
                f"rep {rep + 1}: "
                + ", ".join(f"baseline {k} {r:.0f} msg/s" for k, r in rates.items())
                + f", portal {rate:.0f} msg/s; ratios "
                + ", ".join(f"{rate / r:.2f}" for r in rates.values())
            )
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
    total = sum(len(r) for r in raws)
    return report(args, dialect, kinds, total, base, portal)


BASELINE_LABELS = {
    "default": "baseline: imapclient FETCH RFC822 + email.parser (policy.default)",
    "compat32": "baseline: imapclient FETCH RFC822 + email.parser (compat32)",
}


def report(
    args: argparse.Namespace,
    dialect: str,
    kinds: dict[str, int],
    total_bytes: int,
    base: dict[str, list[tuple[float, float]]],
    portal: list[tuple[float, float, int]],
) -> str:
    n = args.messages
    portal_rates = [n / s for s, _, _ in portal]
    portal_cpu = statistics.median(c for _, c, _ in portal) / n * 1000
    queries = statistics.median(q for _, _, q in portal)
    command = f"python -m bench.inbox --messages {n} --reps {args.reps}"
    if args.database_url:
        command += " --database-url postgresql://…"
    mix = ", ".join(f"{count} {kind}" for kind, count in kinds.items())
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())

    def runs(values: list[float]) -> str:
        return ", ".join(f"{v:.0f}" for v in values)

    lines = [
        f"## {'PostgreSQL' if dialect == 'postgresql' else 'SQLite'}",
        "",
        f"Measured by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} "
        f"cores, Python {platform.python_version()}; database: {dialect}; load average {load} "
        "when the report was written.",
        "",
        f"{n} messages ({total_bytes / 1_000_000:.1f} MB) in one folder of a private dovecot "
        f"on 127.0.0.1: {mix}. {args.reps} interleaved repetitions (each baseline, then the "
        "portal), after an untimed warm-up of each.",
        "",
        "| Path | messages/s (median) | every repetition | CPU per message (this process) |",
        "|---|---:|---|---:|",
    ]
    ratio_lines = []
    for kind, values in base.items():
        rates = [n / s for s, _ in values]
        cpu = statistics.median(c for _, c in values) / n * 1000
        lines.append(
            f"| {BASELINE_LABELS[kind]} | {statistics.median(rates):.0f} | {runs(rates)} "
            f"| {cpu:.2f} ms |"
        )
        ratios = [p / b for p, b in zip(portal_rates, rates, strict=True)]
        ratio_lines.append(
            f"- **portal / {kind} baseline = {statistics.median(ratios):.2f}** (per repetition: "
            f"{', '.join(f'{r:.2f}' for r in ratios)})"
        )
    lines += [
        f"| portal: `worker.jobs.inbox.fetch_mailbox` into {dialect} "
        f"| {statistics.median(portal_rates):.0f} | {runs(portal_rates)} | {portal_cpu:.2f} ms |",
        "",
        "Ratios, median of the per-repetition ratios (goal >= 0.50):",
        "",
        *ratio_lines,
        "",
        f"SQL statements per fetch of {n} messages: {queries:.0f} ({queries / n:.2f} per "
        "message). The portal's CPU leaves out the sandboxed child that inspects the PDFs.",
        "",
    ]
    return "\n".join(lines)


def write(section: str, dialect: str) -> Path:
    """Replace this database's section of bench/RESULTS-inbox.md; keep the other and History."""
    path = ROOT / "bench" / "RESULTS-inbox.md"
    old = path.read_text() if path.exists() else ""
    sections: dict[str, str] = {}
    intro, history = INTRO, ""
    if "## History" in old:
        old, history = old.split("## History", 1)
        history = "## History" + history
    for chunk in old.split("\n## ")[1:]:
        title = chunk.split("\n", 1)[0].strip()
        sections[title] = "## " + chunk.rstrip() + "\n"
    title = "PostgreSQL" if dialect == "postgresql" else "SQLite"
    sections[title] = section
    body = [intro] + [sections[t] for t in ("SQLite", "PostgreSQL") if t in sections]
    body += [s for t, s in sections.items() if t not in ("SQLite", "PostgreSQL")]
    text = "\n".join(part.rstrip() + "\n" for part in body)
    if history:
        text += "\n" + history.rstrip() + "\n"
    path.write_text(text)
    return path


INTRO = """\
# Shared-inbox benchmark results (issue 14)

Measured with `make bench-inbox` (`python -m bench.inbox`; `--database-url postgresql://…` for
PostgreSQL). Every path reads the **same folder of the same dovecot** on 127.0.0.1 in the same
run. The baselines are bare imapclient loops (log in, one FETCH of `RFC822` for every UID, parse
each message, no database), in two strengths: `email.parser` with `policy.default` (the API the
Python documentation recommends; subject, sender, date, text body and attachments read) and with
`compat32` (the cheapest parse the standard library has; headers as raw strings, payloads
decoded). The portal path is the worker's fetch job ingesting the folder into a fresh database:
claim with a lease, exactly-once inserts (UIDVALIDITY + UID, Message-ID), headers decoded, text
extracted and its quoted history stripped, auto-reply and bounce detection, PDF attachments
screened and inspected in the parser sandbox like uploads, one commit per batch with the
position, `\\Seen` set on the server. Clock: the job from claim to release; each baseline from
login to logout. Goal: portal >= 50 % of the bare loop's messages/s.
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument(
        "--database-url",
        default="",
        help="a PostgreSQL database the benchmark may drop and recreate tables in",
    )
    parser.add_argument("--workdir", default="/tmp/inbox-bench")
    parser.add_argument("--no-write", action="store_true", help="print, do not write the report")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    section = run(args)
    print(section)
    if not args.no_write:
        dialect = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
        print(f"written to {write(section, dialect)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
