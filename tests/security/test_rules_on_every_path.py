"""One rule, every path (SPEC.md principle 5): each rule, as a list of cases over the ways in
and out (page, HTMX fragment, search, notification, digest email, export), with the expected
result. A new path or a new rule is one new case in a list; keep one test function per rule.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import make_member
from threads.services import create_reply, create_thread

pytestmark = pytest.mark.django_db

NO_STORE = "no-store, private"


# Rule: private pages are never cached ---------------------------------------------------------
# "Responses to signed-in members carry Cache-Control: no-store, private" (and the account pages
# under /accounts/, signed in or not). Static files keep WhiteNoise's own caching headers.


@pytest.fixture
def cache_world(space):
    from realtime.models import LiveSession

    member = make_member(space, "Cara Cached")
    thread = create_thread(actor=member, space=space, title="Rotas", body="Our rota words")
    reply = create_reply(actor=member, thread=thread, body="More rota words")
    now = timezone.now()
    session = LiveSession.objects.create(
        space=space,
        title="Can we talk about race?",
        starts_at=now - timedelta(minutes=5),
        ends_at=now + timedelta(hours=1),
        status=LiveSession.Status.LIVE,
    )
    return {"member": member, "space": space, "thread": thread, "reply": reply, "live": session}


def _thread(w):
    return w["thread"].get_absolute_url()


# (who, path, expected Cache-Control): "member" signed in, None signed out; NO_STORE or "public"
# (not no-store: a static file, or a public page signed out).
CACHE_CASES = [
    ("member", lambda w: "/", NO_STORE),
    ("member", lambda w: "/spaces/", NO_STORE),
    ("member", lambda w: w["space"].get_absolute_url(), NO_STORE),
    ("member", _thread, NO_STORE),
    ("member", lambda w: _thread(w) + f"posts/{w['reply'].pk}/fragment/", NO_STORE),
    ("member", lambda w: _thread(w) + "reply/", NO_STORE),
    ("member", lambda w: "/search/?q=rota", NO_STORE),
    ("member", lambda w: "/notifications/", NO_STORE),
    ("member", lambda w: "/notifications/count/", NO_STORE),
    ("member", lambda w: "/account/", NO_STORE),
    ("member", lambda w: "/account/export/", NO_STORE),
    ("member", lambda w: "/accounts/email/", NO_STORE),
    ("member", lambda w: "/accounts/password/change/", NO_STORE),
    ("member", lambda w: "/live/", NO_STORE),
    ("member", lambda w: f"/live/{w['live'].pk}/", NO_STORE),
    ("member", lambda w: "/no/such/page/", NO_STORE),
    (None, lambda w: "/accounts/login/", NO_STORE),
    (None, lambda w: "/accounts/signup/", NO_STORE),
    (None, lambda w: "/accounts/password/reset/", NO_STORE),
    (None, lambda w: "/", "public"),
    ("member", lambda w: "/static/threads/thread_live.js", "public"),
    (None, lambda w: "/static/threads/thread_live.js", "public"),
]


@pytest.mark.parametrize(
    ("who", "path", "expected"),
    CACHE_CASES,
    ids=[f"{who or 'signed-out'}-{i}" for i, (who, _, _) in enumerate(CACHE_CASES)],
)
def test_rule_private_pages_are_not_cached(cache_world, who, path, expected):
    client = Client()
    if who is not None:
        client.force_login(cache_world[who])
    url = path(cache_world)
    response = client.get(url)
    header = response.headers.get("Cache-Control", "")
    if expected == NO_STORE:
        assert header == NO_STORE, f"{url}: Cache-Control {header!r} ({response.status_code})"
    else:
        assert response.status_code == 200, url
        assert "no-store" not in header, f"{url}: Cache-Control {header!r}"
        if url.startswith("/static/"):
            assert "max-age" in header, "WhiteNoise's own caching headers are kept"
