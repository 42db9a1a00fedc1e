"""Periodic jobs, and ``python -m worker.cron`` — the one scheduler process.

Each job is idempotent and guarded by a database dedupe key, because RQ's cron has no leader lock
and skips runs missed while it was down.  The registrations below use ``rq.cron.register`` (so
the file also documents itself to ``rq cron``), but the portal starts them through
``python -m worker.cron``: RQ's ``CronJob.enqueue`` always uses the pickle serializer, while the
portal's workers accept JSON only (pickle in Redis lets anyone who can write to Redis run code).
"""

from __future__ import annotations

import logging
import os
import sys

from rq import cron as rq_cron

from worker.jobs import supplies as supplies_jobs
from worker.jobs.frontdesk import remind_due_callbacks
from worker.jobs.mail import sweep_outbox
from worker.jobs.recruiting import purge_expired_cvs, send_interview_reminders, sweep_cvs

# Outbox sweeper: every minute (tests shorten it with PORTAL_SWEEP_INTERVAL).
rq_cron.register(
    sweep_outbox,
    "mail",
    interval=int(os.environ.get("PORTAL_SWEEP_INTERVAL", 60)),
    name="outbox-sweeper",
)
rq_cron.register(send_interview_reminders, "default", interval=900, name="recruiting-reminders")
rq_cron.register(sweep_cvs, "default", interval=60, name="recruiting-cv-sweeper")
rq_cron.register(purge_expired_cvs, "default", interval=3600, name="recruiting-cv-retention")
rq_cron.register(
    supplies_jobs.escalate_waiting_orders, "default", interval=3600, name="supplies-escalate"
)  # noqa: E501
rq_cron.register(
    supplies_jobs.notify_low_stock, "default", interval=3600, name="supplies-low-stock"
)  # noqa: E501
rq_cron.register(supplies_jobs.sync_sent_orders, "default", interval=60, name="supplies-sync-sent")  # noqa: E501
rq_cron.register(remind_due_callbacks, "default", interval=60, name="frontdesk-callback-reminders")


class JSONCronScheduler(rq_cron.CronScheduler):
    """RQ's CronScheduler, enqueueing with the JSON serializer."""

    def enqueue_jobs(self):  # type: ignore[no-untyped-def]
        from rq.utils import now

        from portal.enqueue import get_queue

        enqueue_time = now()
        enqueued = []
        for job in self._cron_jobs:
            if job.should_run():
                get_queue(job.queue_name, self.connection).enqueue(
                    job.func, args=job.args, kwargs=job.kwargs, **job.job_options
                )
                job.set_enqueue_time(enqueue_time)
                enqueued.append(job)
        return enqueued


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from portal import create_app
    from portal.enqueue import get_redis

    app = create_app()
    with app.app_context():
        scheduler = JSONCronScheduler(connection=get_redis(), name=f"portal-cron-{os.getpid()}")
        scheduler.load_config_from_file("worker.cron")
        try:
            scheduler.start()
        except KeyboardInterrupt:
            sys.exit(0)


if __name__ == "__main__":
    main()
