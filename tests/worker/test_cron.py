"""Several ``python -m worker.cron`` may run: one leads, the others take over, no period runs twice.

The scheduler's contract, checked with real processes against the test Redis: while two run, one
holds the lease and the other enqueues nothing; when the leader is SIGKILLed the standby takes
over within the lease (plus one poll); a clean stop hands the lease back; and over the whole
run each period of the one-second outbox sweeper is enqueued at most once.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from redis import Redis
from rq import cron as rq_cron
from rq.job import Job
from rq.serializers import JSONSerializer

import portal
from worker.cron import LEASE_KEY, Lease, PortalCronScheduler, period_of
from worker.jobs.mail import sweep_outbox

ROOT = Path(portal.__file__).resolve().parent.parent
LEASE = 2.0  # seconds; standbys poll every LEASE / 3
TEST_QUEUE = "cron-test"


@pytest.fixture
def redis(redis_url: str) -> Redis:
    """The test Redis, without this module's keys (never a FLUSHDB: the database is shared)."""
    connection = Redis.from_url(redis_url)

    def clean() -> None:
        keys = [*connection.scan_iter("portal:cron:*"), *connection.scan_iter("rq:cron*")]
        keys += [b"rq:queue:mail", f"rq:queue:{TEST_QUEUE}".encode()]
        keys += list(connection.scan_iter("rq:job:cron-*"))
        if keys:
            connection.delete(*keys)

    clean()
    yield connection
    clean()


# --- the lease and the periods, in-process -----------------------------------------------------


def _scheduler(redis: Redis, interval: int = 3600) -> PortalCronScheduler:
    scheduler = PortalCronScheduler(redis, lease_seconds=LEASE)
    scheduler.register(sweep_outbox, TEST_QUEUE, interval=interval, name="cron-test-sweep")
    return scheduler


def _queued(redis: Redis, queue: str = TEST_QUEUE) -> list[str]:
    return [i.decode() for i in redis.lrange(f"rq:queue:{queue}", 0, -1)]


def test_only_the_lease_holder_enqueues_and_the_lease_is_compare_and_set(redis):
    a, b = _scheduler(redis), _scheduler(redis)
    a.tick()
    b.tick()
    assert a.is_leader and not b.is_leader
    assert len(_queued(redis)) == 1  # the leader ran the current period; the standby nothing

    assert not b.lease.renew() and not b.lease.release()  # b can neither extend nor drop a's
    assert redis.get(LEASE_KEY).decode() == a.lease.token

    redis.delete(LEASE_KEY)  # a's lease ran out (say, the process was paused) ...
    b.tick()  # ... and b took over
    assert b.is_leader
    a.tick()  # a wakes up: its renewal fails, it stands by
    assert not a.is_leader and redis.get(LEASE_KEY).decode() == b.lease.token
    assert len(_queued(redis)) == 1  # b found the period already run


def test_two_leaders_at_once_enqueue_each_period_once(redis):
    a, b = _scheduler(redis), _scheduler(redis)
    a.is_leader = b.is_leader = True  # split brain: both believe they lead
    assert len(a.enqueue_jobs()) + len(b.enqueue_jobs()) == 1
    c = _scheduler(redis)  # a restarted scheduler in the same period
    c.is_leader = True
    assert c.enqueue_jobs() == []
    (job_id,) = _queued(redis)
    job = Job.fetch(job_id, connection=redis, serializer=JSONSerializer)
    assert job.func_name == "worker.jobs.mail.sweep_outbox"  # JSON, never pickle


def test_a_clean_stop_hands_the_lease_over(redis):
    a, b = _scheduler(redis), _scheduler(redis)
    a.tick()
    a.stop()
    assert redis.get(LEASE_KEY) is None
    b.tick()
    assert b.is_leader


def test_lease_expires_when_not_renewed(redis):
    lease = Lease(redis, "someone", seconds=0.2)
    assert lease.acquire()
    assert not Lease(redis, "other", seconds=0.2).acquire()
    time.sleep(0.3)
    assert Lease(redis, "other", seconds=0.2).acquire()


def test_periods_are_the_same_for_every_scheduler():
    job = rq_cron.CronJob(TEST_QUEUE, func=sweep_outbox, interval=900)
    assert period_of(job, 1_800_000_100.5) == (1_800_000_000, 1_800_000_900.0)
    assert period_of(job, 1_800_000_000.0) == (1_800_000_000, 1_800_000_900.0)
    nightly = rq_cron.CronJob(TEST_QUEUE, func=sweep_outbox, cron="30 3 * * *")
    from datetime import datetime

    at = datetime(2030, 5, 6, 10, 0).astimezone().timestamp()
    start, end = period_of(nightly, at)
    assert datetime.fromtimestamp(start).strftime("%d %H:%M") == "06 03:30"
    assert datetime.fromtimestamp(end).strftime("%d %H:%M") == "07 03:30"
    fire = datetime(2030, 5, 6, 3, 30).astimezone().timestamp()
    assert period_of(nightly, fire)[0] == int(fire)


# --- real processes -----------------------------------------------------------------------------


def _spawn(redis_url: str, tmp_path: Path, name: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        REDIS_URL=redis_url,
        PORTAL_INSTANCE_PATH=str(tmp_path / "instance"),
        PORTAL_SWEEP_INTERVAL="1",
        PORTAL_CRON_LEASE_SECONDS=str(LEASE),
        LOG_LEVEL="INFO",
        PYTHONUNBUFFERED="1",
    )
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - the child keeps it
    proc = subprocess.Popen(
        [sys.executable, "-m", "worker.cron"], cwd=ROOT, env=env, stdout=log, stderr=log
    )
    proc.log_path = tmp_path / f"{name}.log"  # type: ignore[attr-defined]
    return proc


def _holder_pid(redis: Redis) -> int | None:
    value = redis.get(LEASE_KEY)
    return int(value.decode().split(":")[-2]) if value else None


def _wait(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def _logs(*procs: subprocess.Popen) -> str:
    return "\n".join(p.log_path.read_text(errors="replace")[-2000:] for p in procs)  # type: ignore[attr-defined]


@pytest.mark.slow
def test_standby_takes_over_after_sigkill_and_no_period_runs_twice(redis, redis_url, tmp_path):
    a = _spawn(redis_url, tmp_path, "a")
    b = None
    try:
        assert _wait(lambda: _holder_pid(redis) == a.pid, 20), _logs(a)
        b = _spawn(redis_url, tmp_path, "b")
        registry = rq_cron.cron_scheduler_registry.get_registry_key()
        assert _wait(lambda: redis.zcard(registry) == 2, 20), _logs(a, b)  # b is up
        time.sleep(3)  # both run; only a enqueues
        assert _holder_pid(redis) == a.pid

        a.send_signal(signal.SIGKILL)  # the leader's machine dies: no release
        killed = time.monotonic()
        a.wait(5)
        assert _wait(lambda: _holder_pid(redis) == b.pid, 3 * LEASE), _logs(b)
        takeover = time.monotonic() - killed
        assert takeover <= LEASE * 4 / 3 + 1, takeover  # lease + one poll (+ slack)
        time.sleep(3)  # b leads

        b.send_signal(signal.SIGTERM)
        assert b.wait(10) == 0, _logs(b)
        assert redis.get(LEASE_KEY) is None  # released on a clean stop
    finally:
        for proc in (a, b):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait(5)

    ids = _queued(redis, "mail")
    jobs = Job.fetch_many(ids, connection=redis, serializer=JSONSerializer)
    sweeps = [j for j in jobs if j is not None and j.func_name.endswith("sweep_outbox")]
    stamps = sorted(j.enqueued_at.timestamp() for j in sweeps)
    assert len(sweeps) >= 4, _logs(a, b)
    # At most one run per one-second period: never more runs than periods spanned (+ 1 for a
    # first run enqueued late in its period); two schedulers enqueueing each would double it ...
    assert len(sweeps) <= int(stamps[-1]) - int(stamps[0]) + 2, stamps
    # ... and each run names its period, once.
    periods = Counter(j.id.rsplit("-", 1)[1] for j in sweeps)
    assert max(periods.values()) == 1, periods
