"""``python -m worker``: create the app once, push its context, run RQ on the portal's queues.

The worker class is SimpleWorker (no fork per job): the benchmark in bench/ shows forking costs
about 12 ms of CPU per job, several times the work of sending one message.  Risky work (CV text
extraction) isolates itself in a child process with time and memory limits instead.
"""

from __future__ import annotations

import argparse
import logging
import os
import socket
import threading
import time
from contextlib import contextmanager

from flask_sqlalchemy.session import Session as FlaskSession
from rq import SimpleWorker, Worker
from rq.serializers import JSONSerializer

from portal import create_app
from portal.enqueue import get_queue, get_redis, worker_redis
from portal.services.health import HEARTBEAT_KEY

log = logging.getLogger("worker")


def _heartbeat(app, name: str, stop: threading.Event) -> None:
    with app.app_context():
        redis = get_redis()
        while not stop.is_set():
            try:
                redis.hset(HEARTBEAT_KEY, name, time.time())
            except Exception:  # Redis down: keep trying, the worker itself will reconnect
                log.warning("heartbeat: Redis unreachable")
            stop.wait(10)
        try:
            redis.hdel(HEARTBEAT_KEY, name)
        except Exception:
            pass


class PortalWorker(SimpleWorker):
    """SimpleWorker that gives every job a fresh database session.

    The app context (and so the scoped session) lives as long as the process; without this a job
    that left its session in a failed state, or objects cached in its identity map, would leak
    into the next job.
    """

    def execute_job(self, job, queue):  # type: ignore[no-untyped-def]
        from portal.extensions import db

        try:
            with _one_connection_per_job(db):
                return super().execute_job(job, queue)
        finally:
            try:
                db.session.remove()
            except Exception:  # never let cleanup kill the worker
                log.exception("could not reset the database session")


class _ConnectionSession(FlaskSession):
    """Flask-SQLAlchemy's session, on the connection it was given (it otherwise always picks
    the engine, ignoring ``bind``)."""

    def get_bind(self, mapper=None, clause=None, bind=None, **kwargs):  # type: ignore[no-untyped-def]
        if bind is None and self.bind is not None:
            return self.bind
        return super().get_bind(mapper=mapper, clause=clause, bind=bind, **kwargs)


@contextmanager
def _one_connection_per_job(db):  # type: ignore[no-untyped-def]
    """Give the job's session one pooled connection for all of its transactions.

    A job commits more than once (the outbox claims a row, then marks it sent); a session on
    the engine returns its connection to the pool at every commit and checks one out again,
    paying the pool's liveness ping and reset each time. Bound to one connection, the job pays
    them once. If the database cannot be reached, the job runs as before and fails normally.
    """
    try:
        connection = db.engine.connect()
    except Exception:
        log.exception("could not open a database connection for the job")
        yield
        return
    try:
        db.session.remove()
        factory = db.session.session_factory
        db.session.registry.set(_ConnectionSession(**{**factory.kw, "bind": connection}))
        yield
    finally:
        try:
            db.session.remove()
        finally:
            connection.close()


class PortalForkWorker(Worker):
    """RQ's forking Worker: one child process per job, for isolation (``--fork``).

    The child inherits the parent's database pool; it must not reuse those sockets, so it drops
    the inherited connections without closing them (the parent still owns them).
    """

    def main_work_horse(self, job, queue):  # type: ignore[no-untyped-def]
        from portal.extensions import db

        db.engine.dispose(close=False)
        return super().main_work_horse(job, queue)


def _import_jobs() -> None:
    """Import every job module once, so neither the first job nor each forked child pays for it."""
    import importlib
    import pkgutil

    import worker.jobs

    for module in pkgutil.iter_modules(worker.jobs.__path__):
        try:
            importlib.import_module(f"worker.jobs.{module.name}")
        except Exception:  # a broken module only breaks its own jobs, not the worker
            log.exception("could not import worker.jobs.%s", module.name)


def _check_redis(connection, *, production: bool) -> None:  # type: ignore[no-untyped-def]
    """Warn when Redis may evict RQ's keys (the outbox still delivers, but later)."""
    try:
        policy = connection.config_get("maxmemory-policy").get("maxmemory-policy")
    except Exception:  # CONFIG disabled (managed Redis) or Redis not up yet: nothing to say
        return
    if policy and policy != "noeviction":
        log.warning(
            "Redis maxmemory-policy is %r; use 'noeviction' for RQ%s",
            policy,
            " (production)" if production else "",
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m worker", description=__doc__)
    parser.add_argument("queues", nargs="*", help="queues to serve (default: all, mail first)")
    parser.add_argument("--burst", action="store_true", help="stop when the queues are empty")
    parser.add_argument("--name", default=None)
    parser.add_argument(
        "--fork",
        action="store_true",
        help="fork a child per job (isolation, ~10 ms CPU more per job; see bench/)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=os.environ.get("LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )

    app = create_app()
    app.app_context().push()
    from sqlalchemy.orm import configure_mappers

    configure_mappers()
    _import_jobs()
    connection = worker_redis()
    _check_redis(connection, production=app.config["PORTAL_ENV"] == "production")
    queues = [get_queue(q, connection) for q in (args.queues or app.config["RQ_QUEUES"])]
    name = args.name or f"portal-{socket.gethostname()}-{os.getpid()}"
    stop = threading.Event()
    beat = threading.Thread(target=_heartbeat, args=(app, name, stop), daemon=True)
    beat.start()
    worker_class = PortalForkWorker if args.fork else PortalWorker
    worker = worker_class(queues, connection=connection, serializer=JSONSerializer, name=name)
    try:
        worker.work(
            with_scheduler=True,
            burst=args.burst,
            logging_level=os.environ.get("LOG_LEVEL", "INFO"),
        )
    finally:
        stop.set()


if __name__ == "__main__":
    main()
