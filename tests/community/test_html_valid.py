"""The W3C Nu HTML Checker (``vnu-jar`` from npm, see package.json) finds no error on the main
pages as each role sees them, rendered from the demo data with the test client."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from community.models import User

VNU_JAR = Path(
    os.environ.get("VNU_JAR")
    or settings.BASE_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)

# (name, who is signed in, path); {thread}, {post}, {live}, {member} and {commitment} come from
# the demo data.
PAGES = [
    ("landing", None, "/"),
    ("sign-in", None, "/accounts/login/"),
    ("sign-up", None, "/accounts/signup/"),
    ("password-reset", None, "/accounts/password/reset/"),
    ("home", "member", "/"),
    ("spaces", "member", "/spaces/"),
    ("space", "member", "/spaces/safe-spaces/"),
    ("space-not-member", "outsider", "/spaces/safe-spaces/"),
    ("space-members", "member", "/spaces/safe-spaces/members/"),
    ("guidelines", "member", "/guidelines/"),
    ("thread", "member", "/spaces/safe-spaces/threads/{thread}/"),
    ("thread-moderator", "moderator", "/spaces/safe-spaces/threads/{thread}/"),
    ("new-thread", "member", "/spaces/safe-spaces/threads/new/"),
    ("search", "member", "/search/?q=race"),
    ("notifications", "member", "/notifications/"),
    ("live-list", "member", "/live/"),
    ("live-room", "member", "/live/{live}/"),
    ("live-room-facilitator", "facilitator", "/live/{live}/"),
    ("moderation-queue", "moderator", "/moderation/"),
    ("moderation-audit", "moderator", "/moderation/audit/"),
    ("moderation-words", "moderator", "/moderation/words/"),
    ("flag-post", "facilitator", "/moderation/flag/post/{post}/"),
    ("space-settings", "moderator", "/spaces/safe-spaces/settings/"),
    ("space-create", "staff", "/spaces/new/"),
    ("live-new", "facilitator", "/live/new/"),
    ("commitments", "member", "/commitments/"),
    ("commitment", "member", "/commitments/{commitment}/"),
    ("library", "member", "/library/"),
    ("profile", "facilitator", "/members/{member}/"),
    ("account", "member", "/account/"),
    ("profile-edit", "member", "/account/profile/"),
    ("reauthenticate", "member", "/accounts/reauthenticate/"),
    ("email", "member", "/accounts/email/"),
    ("password-change", "member", "/accounts/password/change/"),
    ("mfa", "member", "/accounts/2fa/"),
    ("sessions", "member", "/accounts/sessions/"),
]


def _demo_ids() -> dict[str, int | None]:
    from realtime.models import LiveSession
    from threads.commitments.models import Commitment
    from threads.models import Thread

    member = User.objects.get(email="member@example.org")
    thread = (
        Thread.objects.filter(space__slug="safe-spaces").exclude(content_note="").first()
        or Thread.objects.filter(space__slug="safe-spaces").first()
    )
    post = thread.posts.order_by("pk").first() if thread else None
    live = LiveSession.objects.filter(space__slug="safe-spaces", status="live").first()
    commitment = Commitment.objects.filter(owner=member).first()
    return {
        "thread": thread and thread.pk,
        "post": post and post.pk,
        "live": live and live.pk,
        "member": member.pk,
        "commitment": commitment and commitment.pk,
    }


def _check(documents: dict[str, str], folder: Path) -> dict[str, list[str]]:
    """Nu checker errors per document name (one JVM for all of them)."""
    paths = {}
    for name, html in documents.items():
        path = folder / f"{name}.html"
        path.write_text(html, encoding="utf-8")
        paths[path.name] = name
    result = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always"]
        + [str(folder / f"{name}.html") for name in documents],
        capture_output=True,
        text=True,
        timeout=600,
    )
    messages = json.loads(result.stderr or result.stdout)["messages"]
    errors: dict[str, list[str]] = {}
    for message in messages:
        if message.get("type") != "error":
            continue
        url = message.get("url", "?")
        name = paths.get(url.rsplit("/", 1)[-1], url)
        errors.setdefault(name, []).append(
            f"line {message.get('lastLine')}: {message['message']} "
            f"[{message.get('extract', '').strip()[:120]}]"
        )
    return errors


@pytest.mark.skipif(shutil.which("java") is None, reason="the Nu HTML Checker needs java")
@pytest.mark.django_db
def test_main_pages_have_no_nu_html_checker_errors(tmp_path, settings):
    assert VNU_JAR.exists(), f"{VNU_JAR} is missing: run `make setup` (npm install vnu-jar)"
    settings.DEBUG = True
    call_command("seed_demo", extra_members=2, verbosity=0)
    ids = _demo_ids()
    clients: dict[str | None, Client] = {}
    documents = {}
    for name, who, path in PAGES:
        if who not in clients:
            clients[who] = Client()
            if who:
                clients[who].force_login(User.objects.get(email=f"{who}@example.org"))
        if "{" in path:
            key = path.split("{")[1].split("}")[0]
            assert ids[key], f"the demo data has no {key}"
            path = path.format(**ids)
        response = clients[who].get(path)
        assert response.status_code == 200, f"{name} ({path}) answered {response.status_code}"
        documents[name] = response.content.decode()
    errors = _check(documents, tmp_path)
    report = "\n".join(
        f"{name}: {line}" for name, lines in sorted(errors.items()) for line in lines
    )
    assert not errors, f"{sum(map(len, errors.values()))} errors:\n{report}"
