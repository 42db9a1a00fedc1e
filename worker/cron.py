"""Periodic jobs, and ``python -m worker.cron`` — the scheduler; run it on one or more machines.

Several schedulers may run at once: one leads (it holds a lease in Redis and renews it), the
others stand by and take over within ``PORTAL_CRON_LEASE_SECONDS`` plus a third of it when the
leader stops renewing (killed, machine gone, cut off from Redis).  A clean stop hands the lease
over at once.  Each run belongs to a *period* (the interval's slot on Redis's clock, or the
cron expression's latest firing) and is claimed in Redis before it is enqueued, so no job is
enqueued twice for the same period, not even by two leaders at once (a paused process that has
not yet noticed it lost the lease), and a new leader makes up the current period if the old one
died before running it.  The jobs stay idempotent and guarded by database dedupe keys anyway.

The jobs are not listed here: each area declares its own in its ``register(app)``
(``registry.periodic_job(name, "worker.jobs.<area>.<func>", queue=..., interval=...)``), and
``main`` registers what ``create_app()``'s registry holds (``register_jobs``).  Start them with
``python -m worker.cron``, not ``rq cron``: RQ's ``CronJob.enqueue`` always uses the pickle
serializer, while the portal's workers accept JSON only (pickle in Redis lets anyone who can
write to Redis run code), and ``rq cron`` has no leader lease.
"""

from __future__ import annotations

import logging
import math
import os
import re
import signal
import socket
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

from croniter import croniter
from redis import Redis
from redis.exceptions import RedisError
from rq import cron as rq_cron
from rq.cron_job_registry import add as record_cron_job
from rq.defaults import DEFAULT_CRON_JOB_HISTORY_LIMIT, DEFAULT_CRON_JOB_HISTORY_TTL
from rq.exceptions import StopRequested
from werkzeug.utils import import_string

from portal import ui
from portal.enqueue import get_queue

log = logging.getLogger(__name__)

LEASE_KEY = "portal:cron:leader"
RUN_KEY = "portal:cron:run:{name}:{period}"
# A claimed period's key outlives the period by this much, so a scheduler whose clock or pause
# lags a little behind still finds it taken.
CLAIM_MARGIN = 60


class Lease:
    """Leadership of the schedulers: one Redis key with an expiry, owned by a random token.

    Taken with ``SET NX PX``; renewed and released by compare-and-set scripts, so a scheduler
    that lost the lease (it expired while the process was paused) can never extend or delete
    the new leader's.
    """

    _RENEW = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('PEXPIRE', KEYS[1], ARGV[2])
    end
    return 0
    """
    _RELEASE = """
    if redis.call('GET', KEYS[1]) == ARGV[1] then
        return redis.call('DEL', KEYS[1])
    end
    return 0
    """

    def __init__(self, connection: Redis, token: str, seconds: float, key: str = LEASE_KEY):
        self.connection = connection
        self.token = token
        self.key = key
        self.ms = max(1, int(seconds * 1000))
        self._renew = connection.register_script(self._RENEW)
        self._release = connection.register_script(self._RELEASE)

    def acquire(self) -> bool:
        return bool(self.connection.set(self.key, self.token, nx=True, px=self.ms))

    def renew(self) -> bool:
        return bool(self._renew(keys=[self.key], args=[self.token, self.ms]))

    def release(self) -> bool:
        return bool(self._release(keys=[self.key], args=[self.token]))

    def holder(self) -> str | None:
        value = self.connection.get(self.key)
        return value.decode() if isinstance(value, bytes) else value


def period_of(job: rq_cron.CronJob, now: float) -> tuple[int, float]:
    """Return the start (whole epoch seconds) and the end of ``job``'s period containing ``now``.

    Interval jobs use slots aligned on the epoch (every 900 s: :00, :15, :30, :45), so every
    scheduler computes the same period; cron jobs use their latest firing, in local time as
    RQ does.
    """
    if job.interval:
        start = math.floor(now / job.interval) * job.interval
        return int(start), float(start + job.interval)
    assert job.cron is not None
    # croniter's get_prev is strictly before its base: start one second later so a firing at
    # exactly ``now`` counts.
    base = datetime.fromtimestamp(math.floor(now) + 1).astimezone()
    start = croniter(job.cron, base).get_prev(float)
    end = croniter(job.cron, datetime.fromtimestamp(start).astimezone()).get_next(float)
    return int(start), float(end)


def _job_id(name: str, period: int) -> str:
    return f"cron-{re.sub(r'[^A-Za-z0-9_-]', '-', name)}-{period}"


class PortalCronScheduler(rq_cron.CronScheduler):
    """RQ's CronScheduler with a leader lease, one run per period, and the JSON serializer."""

    def __init__(
        self,
        connection: Redis,
        *,
        lease_seconds: float = 30.0,
        name: str = "",
        logging_level: str | int = logging.INFO,
    ) -> None:
        host, pid = socket.gethostname(), os.getpid()
        super().__init__(
            connection, logging_level=logging_level, name=name or f"portal-cron-{host}-{pid}"
        )
        self.lease = Lease(connection, f"{host}:{pid}:{uuid.uuid4().hex[:12]}", lease_seconds)
        # Renew three times per lease; standbys poll as often, so a dead leader is replaced
        # within lease_seconds * 4/3.
        self.renew_seconds = max(0.05, lease_seconds / 3)
        self.is_leader = False
        self._done: dict[int, int] = {}  # job index -> last period seen claimed (by anyone)
        self._next_due_in = self.renew_seconds
        self._redis_ok = True
        self._stop_requested = False
        self._sleeping = False

    # --- one round ------------------------------------------------------------------------------

    def tick(self) -> float:
        """Hold or seek the lease, enqueue what is due if leading; return seconds to sleep."""
        try:
            self._hold_lease()
            if self.is_leader and self.enqueue_jobs():
                self.save()  # RQ's monitoring data (latest / next enqueue times)
            self.heartbeat()
        except RedisError as exc:
            if self._redis_ok:
                log.warning("cron: Redis unreachable (%s); enqueueing nothing", type(exc).__name__)
            self._redis_ok = False
            self.is_leader = False  # it cannot renew; whoever holds the key after it expires leads
            return self.renew_seconds
        if not self._redis_ok:
            log.info("cron: Redis is back")
            self._redis_ok = True
        if self.is_leader:
            return max(0.01, min(self.renew_seconds, self._next_due_in))
        return self.renew_seconds

    def _hold_lease(self) -> None:
        held = self.lease.renew() or self.lease.acquire()
        if held and not self.is_leader:
            log.info("cron %s: leading (lease %.1f s)", self.name, self.lease.ms / 1000)
        elif not held and self.is_leader:
            log.warning(
                "cron %s: lost the lease to %s; standing by", self.name, self.lease.holder()
            )
        self.is_leader = held

    def enqueue_jobs(self) -> list[rq_cron.CronJob]:
        """Enqueue every job whose current period nobody has claimed yet (leader only)."""
        if not self.is_leader:
            return []
        seconds, micros = self.connection.time()  # one clock for every scheduler
        now = seconds + micros / 1_000_000
        enqueued = []
        next_due = math.inf
        for index, job in enumerate(self._cron_jobs):
            period, end = period_of(job, now)
            next_due = min(next_due, end - now)
            job.next_enqueue_time = datetime.fromtimestamp(end, UTC)
            if self._done.get(index) == period:
                continue
            if not self._claim(job, period, end - now):
                self._done[index] = period  # another scheduler ran this period
                continue
            try:
                self._enqueue(job, period)
            except RedisError:
                raise  # the period was given back: the next round tries again
            except Exception:  # one broken job must not stop the others
                log.exception("cron: could not enqueue %s", job.name)
            else:
                enqueued.append(job)
                job.latest_enqueue_time = datetime.fromtimestamp(now, UTC)
            self._done[index] = period
        self._next_due_in = next_due + 0.005
        return enqueued

    def _claim(self, job: rq_cron.CronJob, period: int, remaining: float) -> bool:
        """Take ``job``'s run for ``period``; False if another scheduler already took it."""
        key = RUN_KEY.format(name=job.name, period=period)
        ttl = math.ceil(remaining) + CLAIM_MARGIN
        return bool(self.connection.set(key, self.lease.token, nx=True, ex=ttl))

    def _enqueue(self, job: rq_cron.CronJob, period: int) -> None:
        queue = get_queue(job.queue_name, self.connection)
        try:
            # Like RQ's CronJob.enqueue (job and history in one round trip), but with JSON.
            with self.connection.pipeline() as pipe:
                rq_job = queue.enqueue(
                    job.func,
                    args=job.args,
                    kwargs=job.kwargs,
                    job_id=_job_id(job.name, period),
                    pipeline=pipe,
                    **job.job_options,
                )
                stamp = rq_job.enqueued_at.timestamp() if rq_job.enqueued_at else time.time()
                pipe.zadd(job.job_history_key, {rq_job.id: stamp})
                pipe.zremrangebyrank(job.job_history_key, 0, -(DEFAULT_CRON_JOB_HISTORY_LIMIT + 1))
                pipe.expire(job.job_history_key, DEFAULT_CRON_JOB_HISTORY_TTL)
                record_cron_job(job.name, pipe, enqueue_timestamp=stamp)
                pipe.execute()
        except Exception:
            # Not enqueued: give the period back so the next round (ours or a successor's)
            # tries again, instead of skipping it.
            try:
                self.connection.delete(RUN_KEY.format(name=job.name, period=period))
            except RedisError:
                pass
            raise
        log.info("cron: enqueued %s for period %s on %s", job.name, period, job.queue_name)

    # --- the loop -------------------------------------------------------------------------------

    def _install_signal_handlers(self) -> None:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)

    def _request_stop(self, signum, frame):  # type: ignore[no-untyped-def]
        """Finish the current round (never interrupt a Redis call), then stop."""
        self._stop_requested = True
        if self._sleeping:
            raise StopRequested()

    def start(self) -> None:
        """Run until SIGTERM / SIGINT; hand the lease over on the way out."""
        log.info(
            "cron %s: starting with %d jobs (lease %.1f s)",
            self.name,
            len(self._cron_jobs),
            self.lease.ms / 1000,
        )
        self._install_signal_handlers()
        try:
            self.register_birth()
        except RedisError:
            log.warning("cron: Redis unreachable at start; will keep trying")
        try:
            while not self._stop_requested:
                wait = self.tick()
                self._sleeping = True
                try:
                    if not self._stop_requested:
                        time.sleep(wait)
                finally:
                    self._sleeping = False
        except (StopRequested, KeyboardInterrupt):
            pass
        finally:
            self.stop()

    def stop(self) -> None:
        """Release the lease (a standby takes over at its next poll) and leave RQ's registry."""
        try:
            if self.lease.release():
                log.info("cron %s: lease released", self.name)
            self.register_death()
        except RedisError:
            log.warning("cron: Redis unreachable at stop; the lease will expire by itself")
        self.is_leader = False
        log.info("cron %s: stopped", self.name)


def register_jobs(
    scheduler: rq_cron.CronScheduler, jobs: Sequence[ui.PeriodicJob]
) -> list[rq_cron.CronJob]:
    """Register the areas' periodic jobs on ``scheduler``, resolving their dotted paths.

    A name is the job's identity across schedulers (its period claims), so it must be unique;
    a path that does not import stops the scheduler at start, not at the first run.
    """
    names = [job.name for job in jobs]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit(f"worker.cron: duplicate job names {duplicates}")
    return [
        scheduler.register(
            import_string(job.func),
            job.queue,
            interval=job.interval,
            cron=job.cron,
            name=job.name,
        )
        for job in jobs
    ]


def lease_seconds() -> float:
    """Lease length from PORTAL_CRON_LEASE_SECONDS (default 30 s: takeover within 40 s)."""
    return float(os.environ.get("PORTAL_CRON_LEASE_SECONDS") or 30)


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from portal import create_app
    from portal.enqueue import get_redis

    app = create_app()
    with app.app_context():
        scheduler = PortalCronScheduler(get_redis(), lease_seconds=lease_seconds())
        register_jobs(scheduler, ui.registry(app).periodic_jobs)
        scheduler.start()


if __name__ == "__main__":
    main()
