"""LGPD retention benchmark: anonymising 10,000 expired candidates on PostgreSQL while the web
pages keep working.

    python -m bench.retention [--database-url postgresql://postgres@127.0.0.1:5432/bench_lgpd]
                              [--candidates 10000] [--batch 500] [--compare 10000]

Builds a fresh database with one opening, ``--candidates`` candidates rejected two years ago
(each with an application, a timeline event with HR's reason and the rejection e-mail in the
outbox) and 300 live candidates, then, in the same run:

1. baseline: for a few seconds, two probes run without the job —
   - **page**: HR's ranked list of the opening (``GET /recruiting/openings/<id>``, the real view
     with permissions and templates, through Flask's test client);
   - **lock**: ``UPDATE`` of the application and the candidate row the job is about to
     anonymise (the lowest id not yet anonymised: the rows most likely inside the batch the job
     holds), in its own transaction, as HR moving a stage or editing a candidate would — the
     time it takes is the lock wait a concurrent change suffers;
2. the job (``worker.jobs.retention.anonymise_expired``) runs in its own process, as the
   worker does, with ``--batch`` rows per transaction while both probes keep running; the
   longest probe time is the longest wait a page experienced; each batch's transaction time is
   recorded;
3. with ``--compare N``, the same again with N rows per transaction (one long transaction), to
   show what the batching buys.

Reports figures as measured with the load (``uptime``); nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert, text

SECRET = "bench-secret-key-that-is-long-enough-0123456789"


def _ensure_database(url: str) -> None:
    base, name = url.rsplit("/", 1)
    admin = create_engine(f"{base}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()


def _app(url: str, redis_url: str):
    from portal import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET,
            "WTF_CSRF_ENABLED": False,
            "MAIL_SERVER": "",
            "BABEL_DEFAULT_LOCALE": "en",
            "PORTAL_BASE_URL": "http://portal.test",
            "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        }
    )


def seed(app: Any, n: int) -> dict[str, int]:
    """The schema and the data, in bulk (Core inserts)."""
    from portal.extensions import db
    from portal.models import OutboundMessage, User, UserRole
    from portal.models.recruiting import Application, ApplicationEvent, Candidate, Opening

    long_ago = datetime.now(UTC) - timedelta(days=730)
    rng = random.Random(13)
    with app.app_context():
        db.drop_all()
        db.create_all()
        hr = User(email="hr@bench.test", name="HR Bench", locale="en")
        hr.set_password("Quarto-Azul-Mesa-77")
        db.session.add(hr)
        db.session.flush()
        db.session.add(UserRole(user_id=hr.id, role="hr_manager"))
        opening = Opening(title="Analista financeiro", requirements=[], status="open")
        db.session.add(opening)
        db.session.commit()
        total = n + 300
        db.session.execute(
            insert(Candidate),
            [
                {
                    "id": i,
                    "name": f"Candidata {i:05d} da Conceição",
                    "email": f"candidata{i}@example.com",
                    "phone": f"+55119{i:08d}",
                    "locale": "pt_BR",
                    "created_at": long_ago,
                }
                for i in range(1, total + 1)
            ],
        )
        db.session.execute(
            insert(Application),
            [
                {
                    "id": i,
                    "opening_id": opening.id,
                    "candidate_id": i,
                    "stage": "rejected" if i <= n else "screened",
                    "stage_reason": f"Perfil não aderente, Candidata {i:05d}",
                    "score": rng.randint(0, 100),
                    "evidence": {"must": [], "nice": [], "missing": []},
                    "rank_summary": {"must": [], "missing": [], "nice": []},
                    "missing_must": "",
                    "years": 3.0,
                    "cv_text": f"Candidata {i:05d} da Conceição\nExcel, SQL",
                    "created_at": long_ago,
                    "updated_at": long_ago,
                    "closed_at": long_ago if i <= n else None,
                }
                for i in range(1, total + 1)
            ],
        )
        db.session.execute(
            insert(ApplicationEvent),
            [
                {
                    "application_id": i,
                    "kind": "stage",
                    "details": {"old": "new", "new": "rejected", "reason": "Perfil não aderente"},
                    "at": long_ago,
                }
                for i in range(1, n + 1)
            ],
        )
        db.session.execute(
            insert(OutboundMessage),
            [
                {
                    "dedupe_key": f"recruiting:rejection:{i}",
                    "template": "recruiting_rejection",
                    "sender": "rh@bench.test",
                    "recipients": [f"candidata{i}@example.com"],
                    "subject": "Sua candidatura",
                    "text_body": f"Olá, Candidata {i:05d} da Conceição, obrigado.",
                    "message_id": f"<{i}@bench.test>",
                    "status": "sent",
                    "target_type": "Application",
                    "target_id": i,
                    "created_at": long_ago,
                    "next_attempt_at": long_ago,
                }
                for i in range(1, n + 1)
            ],
        )
        for table in ("recruiting_candidate", "recruiting_application"):
            db.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        return {"opening": opening.id, "hr": hr.id}


class Probes:
    """The page and lock probes, each in its own thread, recording durations (seconds)."""

    def __init__(self, app: Any, url: str, ids: dict[str, int]) -> None:
        self.app, self.url, self.ids = app, url, ids
        self.page: list[float] = []
        self.lock: list[float] = []
        self.stop = threading.Event()

    def _page(self) -> None:
        from portal.extensions import db
        from portal.models import User

        with self.app.app_context():
            client = self.app.test_client()
            token = db.session.get(User, self.ids["hr"]).session_token
            with client.session_transaction() as sess:
                sess["_user_id"], sess["_fresh"] = token, True
            db.session.remove()
            paths = [f"/recruiting/openings/{self.ids['opening']}", "/people/employees"]
            for path in paths * 2:  # warm up (templates compiled, connections open)
                client.get(path)
            i = 0
            while not self.stop.is_set():
                start = time.perf_counter()
                response = client.get(paths[i % 2])
                self.page.append(time.perf_counter() - start)
                assert response.status_code == 200, response.status_code
                i += 1

    def _lock(self) -> None:
        engine = create_engine(self.url)
        with engine.connect() as conn:
            while not self.stop.is_set():
                target = conn.execute(
                    text(
                        "SELECT min(id) FROM recruiting_candidate "
                        "WHERE anonymised_at IS NULL AND id <= :n"
                    ),
                    {"n": self.ids["expired"]},
                ).scalar()
                conn.commit()
                target = target or 1
                start = time.perf_counter()
                conn.execute(
                    text(
                        "UPDATE recruiting_application SET updated_at = updated_at "
                        "WHERE candidate_id = :id"
                    ),
                    {"id": target},
                )
                conn.execute(
                    text("UPDATE recruiting_candidate SET locale = locale WHERE id = :id"),
                    {"id": target},
                )
                conn.commit()
                self.lock.append(time.perf_counter() - start)
                time.sleep(0.005)
        engine.dispose()

    def __enter__(self) -> Probes:
        self.threads = [threading.Thread(target=f) for f in (self._page, self._lock)]
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        for t in self.threads:
            t.join()


def _summary(samples: list[float]) -> str:
    if not samples:
        return "no samples"
    ordered = sorted(samples)
    p95 = ordered[int(0.95 * (len(ordered) - 1))]
    return (
        f"n={len(samples)} median={statistics.median(samples) * 1000:.1f} ms "
        f"p95={p95 * 1000:.1f} ms max={max(samples) * 1000:.1f} ms"
    )


def job_process(url: str, redis_url: str, batch: int) -> None:
    """The worker's side, in its own process (as in production: no GIL shared with the pages):
    run the job, timing each batch's transaction; print the figures as JSON."""
    import worker.jobs.retention as job
    from portal.extensions import db
    from portal.services.people import retention

    app = _app(url, redis_url)
    batches: list[float] = []
    original = retention.anonymise_batch

    def timed(kind: str, **kw: Any) -> int:
        start = time.perf_counter()
        done = original(kind, **kw)
        db.session.commit()  # the job commits right after: time the whole transaction
        batches.append(time.perf_counter() - start)
        return done

    retention.anonymise_batch = timed  # type: ignore[assignment]
    with app.app_context():
        start = time.perf_counter()
        totals = job.anonymise_expired(batch=batch)
        elapsed = time.perf_counter() - start
    print(json.dumps({"totals": totals, "elapsed": elapsed, "batches": batches}))


def run_round(
    app: Any, url: str, redis_url: str, n: int, batch: int, baseline_seconds: float
) -> dict[str, Any]:
    ids = seed(app, n) | {"expired": n}
    with Probes(app, url, ids) as base:
        time.sleep(baseline_seconds)
    with Probes(app, url, ids) as during:
        out = subprocess.run(
            [sys.executable, "-m", "bench.retention", "--job", str(batch)]
            + ["--database-url", url, "--redis-url", redis_url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        time.sleep(0.2)
    result = json.loads(out.strip().splitlines()[-1])
    return {
        "batch": batch,
        "totals": result["totals"],
        "elapsed": result["elapsed"],
        "batches": result["batches"],
        "base_page": base.page,
        "base_lock": base.lock,
        "page": during.page,
        "lock": during.lock,
    }


def report(r: dict[str, Any]) -> list[str]:
    slowest_batch = max(r["batches"]) if r["batches"] else 0.0
    base_max = max(r["base_page"]) if r["base_page"] else 0.0
    page_max = max(r["page"]) if r["page"] else 0.0
    return [
        f"### {r['batch']} rows per transaction",
        "",
        f"- anonymised: {r['totals']} in {r['elapsed']:.1f} s "
        f"({r['totals'].get('candidates', 0) / max(r['elapsed'], 1e-9):.0f} candidates/s)",
        f"- transactions: {len(r['batches'])}, longest {slowest_batch * 1000:.0f} ms",
        f"- page probe, baseline: {_summary(r['base_page'])}",
        f"- page probe, during the job: {_summary(r['page'])} "
        f"(max {page_max / max(base_max, 1e-9):.2f}× the baseline's max)",
        f"- lock probe (UPDATE of the rows the job is about to take), baseline: "
        f"{_summary(r['base_lock'])}",
        f"- lock probe, during the job: {_summary(r['lock'])}",
        f"- **longest lock wait a concurrent request experienced: "
        f"{max(r['lock'] or [0]) * 1000:.0f} ms**",
        "",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/bench_lgpd"
        ),
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/12")
    parser.add_argument("--candidates", type=int, default=10_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--compare", type=int, default=0, help="a second round with N rows")
    parser.add_argument("--baseline-seconds", type=float, default=4.0)
    parser.add_argument("--job", type=int, default=0, help=argparse.SUPPRESS)  # child process
    args = parser.parse_args(argv)
    if args.job:
        job_process(args.database_url, args.redis_url, args.job)
        return 0
    if not args.database_url.startswith("postgresql"):
        print("bench.retention measures PostgreSQL locks: give a postgresql:// URL")
        return 2
    _ensure_database(args.database_url)
    app = _app(args.database_url, args.redis_url)
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines = [f"## Retention job on PostgreSQL, {args.candidates} expired candidates", ""]
    lines.append(f"Load before: `{load}`")
    lines.append("")
    for batch in [args.batch] + ([args.compare] if args.compare else []):
        lines += report(
            run_round(
                app,
                args.database_url,
                args.redis_url,
                args.candidates,
                batch,
                args.baseline_seconds,
            )
        )
    load = subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    lines.append(f"Load after: `{load}`")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
