"""CPU of each worker call of a live-room join (issue 17), the consumer's functions called directly.

On a database that ``bench.joinstorm`` built (its members are signed in by session rows), one
thread, no daphne: ``N`` members in turn run ``LiveSessionConsumer._admit`` (sign-in,
authorization, presence row; ``connect``'s one worker call) and ``_hello(0)`` (standing read
again, the room, presence; the ``hello``'s one call), each socket staying present, as in a
storm. Prints the process CPU per step and per join, in ms. Only the Python side is counted:
PostgreSQL's own work is in its server processes. Presence rows it adds are deleted after.

    .venv/bin/python -m bench.join_steps --database-url postgres://…/forum_storm_join \
        --redis-url redis://127.0.0.1:6379/13 --members 400
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


class _Request:
    def __init__(self, session) -> None:
        self.session = session


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a bench.joinstorm database")
    parser.add_argument("--redis-url", default="", help="the cache (presence window)")
    parser.add_argument("--members", type=int, default=400)
    args = parser.parse_args(argv)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench.settings",
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        MFA_REQUIRED_FOR_ROLES="0",
        SECURE_SSL_REDIRECT="0",
        SECURE_COOKIES="0",
        LOG_LEVEL="ERROR",
        CHANNEL_PREFIX=f"benchsteps{os.getpid()}",
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import get_user
    from django.contrib.sessions.models import Session
    from django.db import close_old_connections

    from realtime.consumers import LiveSessionConsumer
    from realtime.models import LiveSession, Presence

    session = LiveSession.objects.filter(status=LiveSession.Status.LIVE).order_by("pk").first()
    engine = import_module(settings.SESSION_ENGINE)
    # The first session row is the facilitator's (bench.joinstorm._seed); then the members'.
    keys = list(
        Session.objects.order_by("expire_date").values_list("session_key", flat=True)[
            1 : args.members + 1
        ]
    )
    prefix = f"steps.{os.getpid()}."
    steps = {"connect (_admit)": 0.0, "hello (_hello)": 0.0}
    try:
        for n, key in enumerate(keys):
            consumer = LiveSessionConsumer()
            consumer.scope = {
                "session": engine.SessionStore(key),
                "url_route": {"kwargs": {"session_id": session.pk}},
            }
            consumer.channel_name = f"{prefix}{n}"
            consumer.session_id = session.pk
            consumer.sees_authors = consumer.facilitating = consumer.backchannel = False
            started = time.process_time()
            if hasattr(consumer, "_admit"):
                code, _, _ = consumer._admit()
            else:  # before issue 17's round two: channels' AuthMiddleware, then two calls
                consumer.scope["user"] = get_user(_Request(consumer.scope["session"]))
                code, _ = consumer._authorize()
                if code is None:
                    consumer._join()
            admitted = time.process_time()
            if code is not None:
                raise SystemExit(f"member {n} was refused with {code}")
            consumer._hello(0)
            steps["connect (_admit)"] += admitted - started
            steps["hello (_hello)"] += time.process_time() - admitted
            close_old_connections()  # as each worker call ends
    finally:
        Presence.objects.filter(channel_name__startswith=prefix).delete()
    count = len(keys)
    for name, seconds in steps.items():
        print(f"{name}: {seconds * 1000 / count:.2f} ms")
    print(f"per join: {sum(steps.values()) * 1000 / count:.2f} ms ({count} members)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
