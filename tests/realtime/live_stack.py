"""A real stack for WebSocket tests: a dedicated database, daphne subprocesses, signed-in cookies.

Run as a script (``python -m tests.realtime.live_stack <command>``) it works *inside* that
database with the project's settings: ``seed`` prints the ids and session keys as JSON, ``send``
stores messages through the services (a concurrent writer), ``seqs`` prints a session's seqs.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
DAPHNE = str(Path(PYTHON).with_name("daphne"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stack_env(database_url: str, redis_url: str = "", prefix: str = "") -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="community.settings",
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        CHANNEL_PREFIX=prefix or f"livetest{os.getpid()}",
        DEBUG="1",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        LIVE_RATE_COUNT="100000",
        # Scale tests connect many sockets per demo member; the cap has its own tests.
        LIVE_MAX_SOCKETS_PER_MEMBER="1000",
        MFA_REQUIRED_FOR_ROLES="0",
        LOG_LEVEL="ERROR",
        PYTHONPATH=str(ROOT),
    )
    return env


def run_script(env: dict, *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [PYTHON, "-m", "tests.realtime.live_stack", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"live_stack {args} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def migrate(env: dict) -> None:
    result = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{result.stdout}\n{result.stderr}")


@contextmanager
def daphne(env: dict):
    """A daphne process on a free port; yields its port and stops it afterwards."""
    port = free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"daphne-{port}.log", "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        [DAPHNE, "-b", "127.0.0.1", "-p", str(port), "community.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"daphne exited:\n{log.read()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("daphne did not start") from None
                time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


# -- commands run inside the stack's database ----------------------------------------------------


def _session_key(user) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def _seed() -> dict:
    from datetime import timedelta

    from django.utils import timezone

    from community.models import GuidelinesAcceptance, GuidelinesVersion, Membership, Space, User
    from realtime.models import LiveSession

    now = timezone.now()
    stamp = f"{os.getpid()}{int(time.time() * 1000)}"

    def space(name: str, **extra) -> Space:
        return Space.objects.create(
            name=name, slug=f"{name.lower()}-{stamp}", summary="Test.", **extra
        )

    def user(name: str, space_=None, **membership) -> User:
        person = User.objects.create_user(
            email=f"{name}.{stamp}@example.org", password="x-unused-x", display_name=name.title()
        )
        if space_ is not None:
            Membership.objects.create(user=person, space=space_, **membership)
        # Live messages need the guidelines accepted (the migrated community version).
        for version in GuidelinesVersion.objects.all():
            GuidelinesAcceptance.objects.create(user=person, version=version)
        return person

    room, hidden = space("Room"), space("Hidden", listed=False, join_policy="invite")
    people = {
        "facilitator": user("facilitator", room, is_facilitator=True),
        "outsider": user("outsider"),
        "banned": user("banned", room, status=Membership.Status.BANNED),
        "pending": user("pending", room, status=Membership.Status.PENDING),
        "suspended": user("suspended", room),
    }
    for n in range(1, 9):
        people[f"member{n}"] = user(f"member{n}", room)
    people["suspended"].suspended_until = now + timedelta(days=1)
    people["suspended"].save()

    def session(where: Space) -> LiveSession:
        created = LiveSession.objects.create(
            space=where,
            title="Stack test",
            starts_at=now - timedelta(minutes=1),
            ends_at=now + timedelta(hours=2),
            status=LiveSession.Status.LIVE,
        )
        created.facilitators.add(people["facilitator"])
        return created

    return {
        "session": session(room).pk,
        "second_session": session(room).pk,
        "hidden_session": session(hidden).pk,
        "users": {name: person.pk for name, person in people.items()},
        "cookies": {name: _session_key(person) for name, person in people.items()},
    }


def _send(session_id: int, user_id: int, count: int, prefix: str) -> None:
    from community.models import User
    from realtime import services
    from realtime.models import LiveSession

    session = LiveSession.objects.get(pk=session_id)
    author = User.objects.get(pk=user_id)
    for n in range(count):
        services.send_live_message(
            actor=author, session=session, body=f"{prefix} {n}", client_msg_id=f"{prefix}-{n}"
        )


def _seqs(session_id: int) -> dict:
    from realtime.models import LiveEvent, LiveSession

    return {
        "seqs": list(
            LiveEvent.objects.filter(session_id=session_id)
            .order_by("seq")
            .values_list("seq", flat=True)
        ),
        "last_seq": LiveSession.objects.get(pk=session_id).last_seq,
    }


def main(argv: list[str]) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "community.settings")
    django.setup()
    command, *args = argv
    if command == "seed":
        print(json.dumps(_seed()))
    elif command == "send":
        _send(int(args[0]), int(args[1]), int(args[2]), args[3])
    elif command == "seqs":
        print(json.dumps(_seqs(int(args[0]))))
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(sys.argv[1:])
