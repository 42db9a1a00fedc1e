"""The soak test's verdict: the database, the mail sink and the users' answers compared."""

from __future__ import annotations

import re
import statistics
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

FINAL_OK = {"sent", "cancelled", "uncertain"}


@dataclass
class Result:
    criteria: list[tuple[str, str, bool]] = field(default_factory=list)  # name, figure, pass
    facts: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add(self, name: str, figure: str, ok: bool) -> None:
        self.criteria.append((name, figure, ok))

    @property
    def passed(self) -> bool:
        return all(ok for _, _, ok in self.criteria)


def _window(soak, t: float) -> str:  # type: ignore[no-untyped-def]
    for name, (start, end) in soak.windows.items():
        if start <= t <= end:
            return name
    return "outside"


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


def _shape(note: str) -> str:
    """The message without names, dates and numbers, so equal answers group together."""
    note = note.split(" — ")[-1]
    note = re.sub(r"changed by .*? at .*?\(", "changed by <someone> at <time> (", note)
    return re.sub(r"\d+", "#", note)[:100]


def check(soak) -> Result:  # type: ignore[no-untyped-def]
    from sqlalchemy import text

    from portal.extensions import db
    from portal.models.supplies import order_number

    r = Result()
    ledger = soak.ledger
    hits = list(ledger.hits)
    duration = soak.args.minutes * 60

    # --- requests ----------------------------------------------------------------------------
    served = [h for h in hits if h.status > 0]
    errors = [h for h in hits if h.outcome == "error"]
    outside = [h for h in errors if _window(soak, h.at) == "outside"]
    in_redis = [h for h in errors if _window(soak, h.at) == "Redis restart"]
    elsewhere = [h for h in errors if _window(soak, h.at) not in ("outside", "Redis restart")]
    untold = [h for h in in_redis if "try again" not in h.note.lower()]
    r.facts["requests"] = len(hits)
    r.facts["served"] = len(served)
    r.facts["rate"] = len(served) / duration
    ms = [h.ms for h in served]
    r.facts["p50"], r.facts["p95"], r.facts["max"] = _pct(ms, 0.5), _pct(ms, 0.95), max(ms or [0])
    r.facts["errors"] = errors
    r.facts["races"] = [h for h in hits if h.outcome == "race"]
    r.add(
        "Requests served",
        f"{len(served)} answers to {len(hits)} requests ({len(served) / duration:.1f}/s); "
        f"p50 {r.facts['p50']:.0f} ms, p95 {r.facts['p95']:.0f} ms, max {r.facts['max']:.0f} ms",
        len(served) > 0,
    )
    r.add(
        "Error answers outside the Redis window",
        str(len(outside) + len(elsewhere)),
        not outside and not elsewhere,
    )
    r.add(
        "Error answers during the Redis restart (all told to retry)",
        f"{len(in_redis)} ({len(untold)} not telling the user to retry)",
        not untold,
    )

    # --- the database ------------------------------------------------------------------------
    with soak.app.app_context():
        rows = db.session.execute(
            text(
                "SELECT id, message_id, kind, status, attempts, template, target_type, "
                "target_id, created_at, sent_at FROM outbound_message ORDER BY id"
            )
        ).all()
        orders = db.session.execute(
            text("SELECT id, status, approved_at, submission_id FROM purchase_order ORDER BY id")
        ).all()
        approvals = Counter(
            tid
            for (tid,) in db.session.execute(
                text("SELECT target_id FROM audit_entry WHERE action = 'supplies.order.approve'")
            )
        )
        calls = db.session.scalar(
            text("SELECT count(*) FROM frontdesk_call WHERE caller_name LIKE 'Soak caller %'")
        )
        cvs = Counter(
            dict(
                db.session.execute(
                    text("SELECT status, count(*) FROM recruiting_cv_file GROUP BY status")
                ).all()
            )
        )
        # Work done while Redis was down: its jobs could not be enqueued; the sweepers re-drive.
        down, up = (datetime.fromtimestamp(soak.clock.wall0 + t, UTC) for t in soak.redis_outage)
        outage = db.session.execute(
            text(
                "SELECT (SELECT count(*) FROM outbound_message WHERE created_at BETWEEN :a AND :b),"
                " (SELECT max(extract(epoch FROM sent_at - created_at)) FROM outbound_message"
                "  WHERE created_at BETWEEN :a AND :b),"
                " (SELECT count(*) FROM recruiting_cv_file WHERE created_at BETWEEN :a AND :b),"
                " (SELECT max(extract(epoch FROM processed_at - created_at))"
                "  FROM recruiting_cv_file WHERE created_at BETWEEN :a AND :b),"
                " (SELECT count(*) FROM audit_entry WHERE action = 'supplies.order.approve'"
                "  AND at BETWEEN :a AND :b)"
            ),
            {"a": down, "b": up},
        ).one()
        db.session.remove()
    r.facts["outage"] = tuple(0 if v is None else v for v in outage)

    # --- e-mail: outbox rows vs what the sink received ---------------------------------------
    received = soak.sink.counts()
    by_status = Counter(row.status for row in rows)
    by_kind = Counter(row.kind for row in rows)
    known = {row.message_id for row in rows}
    lost = [
        row
        for row in rows
        if row.status not in FINAL_OK or (row.status == "sent" and received[row.message_id] == 0)
    ]
    duplicated = {mid: n for mid, n in received.items() if n > 1}
    strangers = [mid for mid in received if mid not in known]
    uncertain = [row for row in rows if row.status == "uncertain"]
    expected = sum(1 for row in rows if row.status != "cancelled")
    delivered = sum(1 for row in rows if received[row.message_id] >= 1)
    # Jobs the web could not hand to Redis while it was down (logged; the sweeper re-drives).
    r.facts["not_enqueued"] = sum(
        path.read_text(errors="replace").count("could not enqueue")
        for path in (soak.workdir / "logs").glob("web-*.log")
    )
    r.facts.update(
        by_status=by_status,
        by_kind=by_kind,
        sink_total=sum(received.values()),
        refused=soak.sink.refused,
        retried=sum(1 for row in rows if row.attempts > 1),
    )
    r.add(
        "E-mails expected (outbox rows) vs delivered (distinct Message-IDs at the sink)",
        f"{expected} vs {delivered}; " + ", ".join(f"{k} {v}" for k, v in sorted(by_kind.items())),
        not lost and not strangers,
    )
    if uncertain:
        r.problems.append(
            f"{len(uncertain)} supplier order(s) uncertain (worker died mid-send; a person "
            f"confirms or resends): received {sum(received[u.message_id] for u in uncertain)}"
        )
    for row in lost[:20]:
        r.problems.append(
            f"not delivered: outbox #{row.id} {row.kind} {row.status} "
            f"(attempts {row.attempts}, received {received[row.message_id]})"
        )
    for mid in strangers[:10]:
        r.problems.append(f"the sink received {mid}, which is not in the outbox")
    r.add("E-mails received twice (same Message-ID)", str(len(duplicated)), not duplicated)
    # Delivery delay: row written -> first arrival at the sink.
    first: dict[str, float] = {}
    for rec in soak.sink.received:
        first.setdefault(rec.message_id, soak.clock.wall0 + rec.at)
    delays = [
        first[row.message_id] - row.created_at.timestamp()
        for row in rows
        if row.message_id in first and row.created_at is not None
    ]
    r.facts["delay_p50"], r.facts["delay_max"] = _pct(delays, 0.5), max(delays or [0])
    if delays:
        last = max(first.values()) - soak.clock.wall0
        r.facts["last_delivery"] = last

    # --- orders: approved once, sent to the supplier once ------------------------------------
    supplier_rows = {row.target_id: row for row in rows if row.kind == "supplier_order"}
    per_number: Counter = Counter()
    for rec in soak.sink.received:
        number = re.search(r"\bPO-(\d+)\b", rec.subject)
        if number and any(to.startswith("orders@supplier") for to in rec.recipients):
            per_number[int(number.group(1))] += 1
    approved = [o for o in orders if o.approved_at is not None]
    twice_sent = [o.id for o in approved if per_number[o.id] > 1]
    not_sent = [
        o.id
        for o in approved
        if per_number[o.id] == 0
        and (supplier_rows.get(o.id) is None or supplier_rows[o.id].status != "uncertain")
    ]
    twice_approved = [
        o.id for o in approved if approvals[o.id] != 1 or ledger.approvals_ok.get(o.id, 0) > 1
    ]
    told_not_done = [oid for oid in ledger.approvals_ok if oid not in {o.id for o in approved}]
    r.add(
        "Orders approved once and sent to their supplier once",
        f"{len(ledger.orders_submitted)} submitted, {len(approved)} approved, "
        f"{sum(per_number.values())} supplier e-mails; approved twice {len(twice_approved)}, "
        f"sent twice {len(twice_sent)}, not sent {len(not_sent)}",
        not twice_sent and not not_sent and not twice_approved and not told_not_done,
    )
    r.add(
        "Approval races (both managers on one order): loser told it changed",
        f"{ledger.races_lost}",
        True,
    )
    for oid in twice_sent + not_sent + twice_approved + told_not_done:
        r.problems.append(
            f"order {order_number(oid)}: approvals {approvals[oid]}, answered "
            f"{ledger.approvals_ok.get(oid, 0)}, supplier e-mails {per_number[oid]}"
        )

    # --- calls and CVs ------------------------------------------------------------------------
    r.add(
        "Calls logged: users told 'logged' vs rows stored",
        f"{ledger.calls_logged} vs {calls}",
        calls == ledger.calls_logged,
    )
    stored = sum(cvs.values())
    waiting = cvs.get("queued", 0) + cvs.get("extracting", 0)
    r.add(
        "CVs uploaded vs stored vs processed",
        f"{ledger.cvs_uploaded} vs {stored} vs {stored - waiting} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(cvs.items()))
        + ")",
        stored == ledger.cvs_uploaded and waiting == 0,
    )

    # --- processes -----------------------------------------------------------------------------
    crashes = [(p.role, t, code) for p in soak.procs.values() for t, code in p.exits]
    r.add(
        "Processes that died on their own (restarted after 5 s)",
        ", ".join(f"{role} at {t:.0f} s (exit {code})" for role, t, code in crashes) or "0",
        not crashes,
    )
    for mid, n in list(duplicated.items())[:20]:
        row = next((row for row in rows if row.message_id == mid), None)
        where = f"outbox #{row.id} {row.kind}" if row else "not in the outbox"
        r.problems.append(f"received {n} times: {mid} ({where})")
    r.facts["errors_by"] = Counter(
        (_window(soak, h.at), h.action, h.status, h.outcome, _shape(h.note))
        for h in hits
        if h.outcome != "ok"
    )
    return r


def render(soak, r: Result) -> str:  # type: ignore[no-untyped-def]
    from bench.soak_infra import machine

    args = soak.args
    loads = soak.loadavg.values or [0.0]
    verdict = "PASS" if r.passed else "FAIL"
    lines = [
        f"## {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(soak.clock.wall0))} — "
        f"{args.minutes:g} min — **{verdict}**",
        "",
        f"{machine()}. Load average (1 min) at the start {soak.load_start:.1f}, mean "
        f"{statistics.mean(loads):.1f}, max {max(loads):.1f} (other test suites share the "
        "machine). PostgreSQL (database `soak`, re-created), a private redis-server without "
        "persistence, an aiosmtpd sink; 2 gunicorn servers × 1 sync worker, 2 × "
        "`python -m worker`, 2 × `python -m worker.cron`; 7 signed-in users (front desk, "
        "buyer, 2 managers, HR, 2 staff). "
        f"Sweeper every {args.sweep_interval} s; Redis down {args.redis_down} s; SMTP 451 for "
        f"{args.smtp_refuse} s.",
        "",
        "| t (s) | Event |",
        "|---:|---|",
    ]
    lines += [f"| {t:.0f} | {text} |" for t, text in soak.events]
    lines += ["", "| Check | Result | |", "|---|---|---|"]
    lines += [
        f"| {name} | {figure} | {'ok' if ok else '**FAIL**'} |" for name, figure, ok in r.criteria
    ]
    f = r.facts
    lines += [
        "",
        f"Outbox by status: {dict(sorted(f['by_status'].items()))}; the sink received "
        f"{f['sink_total']} messages and answered {f['refused']} refusals; {f['retried']} rows "
        f"needed more than one attempt; the web processes could not enqueue "
        f"{f['not_enqueued']} jobs while Redis was down (the sweepers re-drove them). "
        "Delay from row written to arrival: median "
        f"{f['delay_p50']:.1f} s, max {f['delay_max']:.0f} s"
        + (f"; last arrival at {f['last_delivery']:.0f} s." if "last_delivery" in f else "."),
    ]
    rows, mail_delay, cvs, cv_delay, approvals = f["outage"]
    lines += [
        "",
        f"While Redis was down the users approved {approvals} orders, caused {rows} outbox rows "
        f"and uploaded {cvs} CVs, every one answered as a success; the sweepers delivered "
        f"those e-mails at most {mail_delay:.0f} s and processed those CVs at most "
        f"{cv_delay:.0f} s after they were written.",
    ]
    if r.problems:
        lines += ["", "Problems:", ""] + [f"- {p}" for p in r.problems]
    if f["errors_by"]:
        lines += [
            "",
            "Every answer that was not a success:",
            "",
            "| Window | Action | Status | Kind | Told the user | Count |",
            "|---|---|---|---|---|---:|",
        ]
        for (window, action, status, kind, note), n in sorted(f["errors_by"].items()):
            kind = "race lost (expected)" if kind == "race" else "error"
            status = status or "no answer"
            lines.append(f"| {window} | {action} | {status} | {kind} | {note} | {n} |")
    # Requests per action.
    per: dict[str, list] = defaultdict(list)
    for h in soak.ledger.hits:
        per[h.action].append(h)
    lines += [
        "",
        "| Action | Requests | OK | Race lost | Error | p50 ms | p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for action, hs in sorted(per.items(), key=lambda kv: -len(kv[1])):
        ms = [h.ms for h in hs if h.status > 0]
        c = Counter(h.outcome for h in hs)
        lines.append(
            f"| {action} | {len(hs)} | {c['ok']} | {c['race']} | {c['error']} | "
            f"{_pct(ms, 0.5):.0f} | {_pct(ms, 0.95):.0f} |"
        )
    # Memory.
    lines += ["", "| Process | Peak RSS (VmHWM) |", "|---|---|"]
    for p in soak.procs.values():
        main = [kb for label, kb in p.peaks.values() if label == "main"]
        kids: dict[str, list[int]] = defaultdict(list)
        for label, kb in p.peaks.values():
            if label != "main":
                kids[label].append(kb)
        figure = "main " + " / ".join(f"{kb / 1024:.0f} MB" for kb in main)
        for label, kbs in sorted(kids.items()):
            figure += f"; {label} max {max(kbs) / 1024:.0f} MB ({len(kbs)})"
        lines.append(f"| {p.role} | {figure} |")
    lines.append(f"| redis-server | {soak.redis.peak_kb / 1024:.0f} MB |")
    lines.append("")
    return "\n".join(lines)
