"""``python -m bench.worker QUEUE [--fork]``: a bare RQ worker (JSON serializer, no app)."""

from __future__ import annotations

import argparse
import os

from redis import Redis
from rq import Queue, SimpleWorker, Worker
from rq.serializers import JSONSerializer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("queue")
    parser.add_argument("--fork", action="store_true")
    args = parser.parse_args()
    # Import the job (and read the sample message) once here, not in every forked child.
    from bench import jobs

    jobs._sample()
    connection = Redis.from_url(os.environ["REDIS_URL"])
    queue = Queue(args.queue, connection=connection, serializer=JSONSerializer)
    worker_class = Worker if args.fork else SimpleWorker
    worker_class([queue], connection=connection, serializer=JSONSerializer).work(
        logging_level="WARNING"
    )


if __name__ == "__main__":
    main()
