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


# The paths × rules matrix for threads' outputs ------------------------------------------------
# One world; each output is a function (world, viewer) -> (status, text) for one way out; each
# rule is a list of (viewer, output, expected) cases and one parametrized test.

NOTE = "describes racist abuse"
PLAIN_NOTE = f"[Content note: {NOTE}] (open the thread to read it)"
ANONYMOUS_NAME = "Ana Nymous"
TOLD = {
    "muted": "You are muted in",
    "suspended": "Your account is suspended until",
    "banned": "You have been banned from",
}


@pytest.fixture
def matrix_world(space):
    from community import sanctions
    from tests.conftest import make_user
    from threads.models import SpaceFollow

    people = {
        "author": make_member(space, "Ada Author"),
        "anonymous_author": make_member(space, ANONYMOUS_NAME),
        "reader": make_member(space, "Rhea Reader"),
        "moderator": make_member(space, "Maya Moderator", is_moderator=True),
        "muted": make_member(space, "Mo Muted"),
        "suspended": make_member(space, "Sue Suspended"),
        "banned": make_member(space, "Ben Banned"),
        "outsider": make_user("Oliver Outsider"),
        "staff": make_user("Sam Staff", staff=True),
    }
    # Everyone in the space follows it before anything is posted: each has notifications.
    for role in ("reader", "moderator", "muted", "suspended", "banned"):
        SpaceFollow.objects.create(user=people[role], space=space)
    secret = create_thread(
        actor=people["author"], space=space, title="Quokka staffing", body="The quokka secret body"
    )
    anonymous = create_thread(
        actor=people["anonymous_author"],
        space=space,
        title="Passed over",
        body="Wombat words I would rather not sign",
        anonymous=True,
    )
    noted = create_thread(
        actor=people["author"],
        space=space,
        title="Hard reading",
        body="Zephyrine shouted slurs at the nurse",
        content_note=NOTE,
    )
    moderator, later = people["moderator"], timezone.now() + timedelta(hours=2)
    sanctions.mute_member(
        actor=moderator, space=space, member=people["muted"], until=later, reason="Cooling off"
    )
    sanctions.suspend_member(
        actor=people["staff"],
        member=people["suspended"],
        until=timezone.now() + timedelta(days=3),
        reason="Breach of confidentiality",
    )
    sanctions.ban_member(
        actor=moderator, space=space, member=people["banned"], reason="Repeated attacks"
    )
    return {
        "space": space,
        "people": people,
        "threads": {"secret": secret, "anonymous": anonymous, "noted": noted},
    }


def _client(world, viewer) -> Client:
    client = Client()
    client.force_login(world["people"][viewer])
    return client


def _opening(thread):
    return thread.posts.get(is_opening=True)


def out_page(world, viewer, subject):
    response = _client(world, viewer).get(world["threads"][subject].get_absolute_url())
    return response.status_code, response.content.decode()


def out_space_page(world, viewer, subject):
    response = _client(world, viewer).get(world["space"].get_absolute_url())
    return response.status_code, response.content.decode()


def out_fragment(world, viewer, subject):
    """The live thread module's fetch of one post (an HTMX-style fragment)."""
    thread = world["threads"][subject]
    url = f"{thread.get_absolute_url()}posts/{_opening(thread).pk}/fragment/"
    response = _client(world, viewer).get(url, HTTP_HX_REQUEST="true")
    return response.status_code, response.content.decode()


def out_reaction_fragment(world, viewer, subject):
    """An HTMX reaction on the opening post: the fragment htmx swaps in."""
    thread = world["threads"][subject]
    post = _opening(thread)
    url = f"{thread.get_absolute_url()}posts/{post.pk}/react/"
    response = _client(world, viewer).post(
        url, {"kind": "thanks"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET=f"reactions-{post.pk}"
    )
    return response.status_code, response.content.decode()


def out_quote(world, viewer, subject):
    """The reply page quoting the opening post (the draft and the preview of the quote)."""
    thread = world["threads"][subject]
    url = f"{thread.get_absolute_url()}reply/?quote={_opening(thread).pk}"
    response = _client(world, viewer).get(url)
    return response.status_code, response.content.decode()


SEARCH_TERMS = {"secret": "quokka", "anonymous": "wombat", "noted": "zephyrine"}


def out_search(world, viewer, subject):
    response = _client(world, viewer).get(f"/search/?q={SEARCH_TERMS[subject]}")
    return response.status_code, response.content.decode()


def out_notification(world, viewer, subject):
    response = _client(world, viewer).get("/notifications/")
    return response.status_code, response.content.decode()


def out_digest(world, viewer, subject):
    from django.core import mail

    from threads.digests import send_digest

    send_digest(world["people"][viewer], base_url="https://forum.example")
    text = "".join(m.body + "".join(a[0] for a in m.alternatives) for m in mail.outbox)
    return 200, text


def out_export(world, viewer, subject):
    import json

    from community.site.account_data import build_export

    user = world["people"][viewer]
    user.refresh_from_db()  # the sanctions wrote to their own copy of the row
    data = build_export(user)
    return 200, json.dumps(data, ensure_ascii=False)


OUTPUTS = {
    "page": out_page,
    "space page": out_space_page,
    "fragment": out_fragment,
    "reaction fragment": out_reaction_fragment,
    "quote": out_quote,
    "search": out_search,
    "notification": out_notification,
    "digest": out_digest,
    "export": out_export,
}


def _ids(cases):
    return [f"{viewer}-{output}-{expected}" for viewer, output, expected in cases]


def _sees_secret(text: str) -> bool:
    """The secret thread's title or body (not the search word, which a search page repeats)."""
    return "staffing" in text or "secret body" in text


def _outside_details(text: str) -> str:
    import re

    return re.sub(r"<details.*?</details>", "", text, flags=re.DOTALL)


# Rule: visibility. "shown": the secret thread's words reach the viewer; "hidden": nothing of
# it does (whatever the status); "404": the page looks missing.
VISIBILITY_CASES = [
    ("reader", "page", "shown"),
    ("reader", "fragment", "shown"),
    ("reader", "search", "shown"),
    ("reader", "notification", "shown"),
    ("reader", "digest", "shown"),
    ("reader", "export", "hidden"),  # an export holds what the member wrote or did
    ("author", "export", "shown"),
    ("outsider", "page", "404"),
    ("outsider", "fragment", "404"),
    ("outsider", "search", "hidden"),
    ("outsider", "notification", "hidden"),
    ("outsider", "digest", "hidden"),
    ("outsider", "export", "hidden"),
    ("banned", "page", "404"),
    ("banned", "fragment", "404"),
    ("banned", "search", "hidden"),
    ("banned", "notification", "hidden"),  # told of threads before the ban: not any more
    ("banned", "digest", "hidden"),
    ("banned", "export", "hidden"),
]


@pytest.mark.parametrize(
    ("viewer", "output", "expected"), VISIBILITY_CASES, ids=_ids(VISIBILITY_CASES)
)
def test_rule_visibility_on_every_path(matrix_world, viewer, output, expected):
    status, text = OUTPUTS[output](matrix_world, viewer, "secret")
    seen = _sees_secret(text)
    if expected == "shown":
        assert status == 200 and seen
    elif expected == "404":
        assert status == 404 and not seen
    else:
        assert not seen


# Rule: anonymity. "masked": the label, never the name; "real": moderators see who wrote it;
# "absent": the name appears nowhere (outputs that name no author at all).
ANONYMITY_CASES = [
    ("reader", "page", "masked"),
    ("reader", "fragment", "masked"),
    ("reader", "quote", "masked"),
    ("reader", "search", "masked"),
    ("reader", "notification", "masked"),
    ("reader", "digest", "masked"),
    ("reader", "export", "absent"),
    ("moderator", "page", "real"),
    ("moderator", "fragment", "real"),
    ("moderator", "search", "real"),
    ("moderator", "notification", "masked"),  # notifications never carry an anonymous actor
    ("moderator", "digest", "masked"),  # nor do emails
]


@pytest.mark.parametrize(
    ("viewer", "output", "expected"), ANONYMITY_CASES, ids=_ids(ANONYMITY_CASES)
)
def test_rule_anonymity_on_every_path(matrix_world, viewer, output, expected):
    status, text = OUTPUTS[output](matrix_world, viewer, "anonymous")
    assert status == 200
    if expected == "real":
        assert ANONYMOUS_NAME in text
    else:
        assert ANONYMOUS_NAME not in text
        if expected == "masked":
            assert "A member of this space" in text


# Rule: content note. "folded": the text only inside a details whose summary is the note;
# "note": the plain note in place of the text; "hidden": no text and no need of a note; "own":
# the author's own export keeps their text, with the note beside it.
CONTENT_NOTE_CASES = [
    ("reader", "page", "folded"),
    ("reader", "fragment", "folded"),
    ("reader", "quote", "folded"),
    ("reader", "search", "note"),
    ("reader", "notification", "hidden"),
    ("reader", "digest", "note"),
    ("reader", "export", "hidden"),
    ("moderator", "page", "folded"),
    ("author", "export", "own"),
]


@pytest.mark.parametrize(
    ("viewer", "output", "expected"), CONTENT_NOTE_CASES, ids=_ids(CONTENT_NOTE_CASES)
)
def test_rule_content_note_on_every_path(matrix_world, viewer, output, expected):
    status, text = OUTPUTS[output](matrix_world, viewer, "noted")
    assert status == 200
    if expected == "folded":
        assert "Zephyrine" in text and f"Content note: {NOTE}" in text
        assert "Zephyrine" not in _outside_details(text)
    elif expected == "note":
        assert PLAIN_NOTE in text and "Zephyrine" not in text
    elif expected == "own":
        assert "Zephyrine" in text and NOTE in text
    else:
        assert "Zephyrine" not in text


# Rule: sanctions. "told": the member reads what they cannot do and until when (the notice's
# words); "recorded": their export records the sanction; "shown": reading is not sanctioned
# (mutes and suspensions); "404"/"hidden": a ban closes the space's insides.
SANCTION_CASES = [
    ("muted", "page", "told"),
    ("muted", "reaction fragment", "told"),
    ("muted", "notification", "told"),
    ("muted", "digest", "told"),
    ("muted", "search", "shown"),
    ("muted", "export", "recorded"),
    ("suspended", "page", "told"),
    ("suspended", "reaction fragment", "told"),
    ("suspended", "notification", "told"),
    ("suspended", "digest", "told"),
    ("suspended", "search", "shown"),
    ("suspended", "export", "recorded"),
    ("banned", "page", "404"),
    ("banned", "space page", "told"),
    ("banned", "reaction fragment", "told"),
    ("banned", "notification", "told"),
    ("banned", "digest", "told"),
    ("banned", "search", "hidden"),
    ("banned", "export", "recorded"),
]


def _recorded(viewer: str, text: str) -> bool:
    import json

    data = json.loads(text)
    membership = data["memberships"][0]
    if viewer == "muted":
        return membership["muted_until"] is not None
    if viewer == "suspended":
        return data["profile"]["suspended_until"] is not None
    return membership["status"] == "banned"


@pytest.mark.parametrize(("viewer", "output", "expected"), SANCTION_CASES, ids=_ids(SANCTION_CASES))
def test_rule_sanctions_on_every_path(matrix_world, viewer, output, expected):
    status, text = OUTPUTS[output](matrix_world, viewer, "secret")
    seen = _sees_secret(text)
    if expected == "told":
        assert status == 200 and TOLD[viewer] in text
        assert "<html" not in text or output != "reaction fragment"
    elif expected == "recorded":
        assert _recorded(viewer, text)
    elif expected == "shown":
        assert status == 200 and seen
    elif expected == "404":
        assert status == 404 and not seen
    else:
        assert not seen
