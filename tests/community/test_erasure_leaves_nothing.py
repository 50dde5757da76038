"""Erasure, checked against the whole database: after it, the member's name and address occur
nowhere, and with "remove what I wrote" neither does anything they wrote (SPEC.md "Accounts":
delete account). Every kind of row that can hold them is filled first, through the services
members and moderators use."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Invitation, Membership, User
from community.site import account_data

from ..conftest import accept_all_guidelines, make_member, make_user

pytestmark = pytest.mark.django_db

NAME = "Zephyrine Quillfeather"
EMAIL = "zephyrine.quill@example-trust.nhs.uk"
NAME_PARTS = ["zephyrine", "quillfeather"]
# What the member wrote: gone with "remove what I wrote", kept (as "Former member") without.
WRITTEN = {
    "title": "zqmark-title about mentoring",
    "note": "zqmark-note on racism",
    "opening": "zqmark-opening text of the thread",
    "reply": "zqmark-reply first line",
    "reply2": "zqmark-reply second line",
    "anon": "zqmark-anonymous reply",
    "revision": "zqmark-revision before the edit",
    "pending": "zqmark-pending edit",
    "live": "zqmark-live message",
    "question": "zqmark-live question",
}
# Always gone: their profile and what they told moderators.
PERSONAL = {
    "organisation": "zqmark-organisation",
    "job_title": "zqmark-job",
    "pronouns": "zq/zqmark",
    "bio": "zqmark-bio of the member",
    "flag": "zqmark-flag details about Olu's post",
    "browser": "zqmark-browser/1.0",
}
KEPT = {
    "olu_reply": "olu-keeps-this-reply",
    "rafi_reply": "rafi-keeps-this-reply",
}


def _dump() -> str:
    """Every value of every table, as text, lower-cased: one line a row, after its table."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                parts.append(f"{table}: " + " | ".join(" ".join(str(v).splitlines()) for v in row))
    return "\n".join(parts).lower()


def _leaks(dump: str, needles: dict[str, str]) -> dict[str, list[str]]:
    """Which of ``needles`` occur, and in which tables (so a failure says where)."""
    rows = dump.splitlines()
    found = {
        key: sorted({r.split(":", 1)[0] for r in rows if text.lower() in r})
        for key, text in needles.items()
    }
    return {key: tables for key, tables in found.items() if tables}


def _build_world(space, other_space, moderator, staff):
    from moderation import services as moderation_services
    from realtime import services as live
    from tests.realtime.conftest import make_session
    from threads import services
    from threads.models import Post

    zed = make_user(NAME, email=EMAIL)
    User.objects.filter(pk=zed.pk).update(
        organisation=PERSONAL["organisation"],
        job_title=PERSONAL["job_title"],
        pronouns=PERSONAL["pronouns"],
        bio=PERSONAL["bio"],
    )
    zed.refresh_from_db()
    Membership.objects.create(user=zed, space=space)
    accept_all_guidelines(zed, space)
    olu = make_member(space, "Olu Other")
    rafi = make_member(space, "Rafi Replier")

    # Invitations to their address: the one they used, and one still waiting in another space.
    used = Invitation.objects.create(
        email=EMAIL, space=space, created_by=staff, used_at=timezone.now(), used_by=zed
    )
    waiting = Invitation.objects.create(email=EMAIL, space=other_space, created_by=staff)

    # A sign-in with its browser, kept as a user session.
    client = Client(HTTP_USER_AGENT=PERSONAL["browser"], REMOTE_ADDR="192.0.2.77")
    response = client.post(
        reverse("account_login"), {"login": EMAIL, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302

    # Their thread, under a content note, with a reply by someone else.
    noted = services.create_thread(
        actor=zed,
        space=space,
        title=WRITTEN["title"],
        body=WRITTEN["opening"],
        content_note=WRITTEN["note"],
    )
    opening = noted.posts.get(is_opening=True)
    quoted, draft = services.quote_for_reply(actor=rafi, thread=noted, post_id=opening.pk)
    rafi_in_noted = services.create_reply(
        actor=rafi, thread=noted, body=draft + KEPT["rafi_reply"], quote=quoted
    )

    # Olu's thread: a reply of theirs (edited once, with an edit waiting), quoted by Olu, whose
    # reply Rafi quotes in turn; an anonymous reply of theirs, quoted too.
    olus = services.create_thread(
        actor=olu, space=space, title="Olu's thread on allyship", body="Olu opens the thread."
    )
    reply = services.create_reply(actor=zed, thread=olus, body=WRITTEN["revision"])
    services.edit_post(
        actor=zed, post=reply, body=f"{WRITTEN['reply']}\n\n{WRITTEN['reply2']}", reason=""
    )
    Post.objects.filter(pk=reply.pk).update(
        pending_body=WRITTEN["pending"], pending_at=timezone.now()
    )
    reply.refresh_from_db()
    quoted, draft = services.quote_for_reply(actor=olu, thread=olus, post_id=reply.pk)
    assert NAME in draft and WRITTEN["reply"] in draft
    olu_quoting = services.create_reply(
        actor=olu, thread=olus, body=draft + KEPT["olu_reply"], quote=quoted
    )
    quoted, draft = services.quote_for_reply(actor=rafi, thread=olus, post_id=olu_quoting.pk)
    rafi_quoting = services.create_reply(
        actor=rafi, thread=olus, body=draft + "Rafi agrees with both.", quote=quoted
    )
    anon = services.create_reply(actor=zed, thread=olus, body=WRITTEN["anon"], anonymous=True)
    quoted, draft = services.quote_for_reply(actor=olu, thread=olus, post_id=anon.pk)
    olu_quoting_anon = services.create_reply(
        actor=olu, thread=olus, body=draft + "Olu answers the anonymous one.", quote=quoted
    )
    services.toggle_reaction(actor=zed, post=olu_quoting, kind="thanks")

    # Flags: one they raised, one about their reply.
    their_flag = moderation_services.flag_post(
        actor=zed, post=olus.posts.get(is_opening=True), reason="other", details=PERSONAL["flag"]
    )
    flag_on_them = moderation_services.flag_post(
        actor=olu, post=reply, reason="other", details="Please look at this reply."
    )

    # Moderators: a lock of their thread, a hidden reply in it (its author is told, naming the
    # thread), a warning about them, and a warning to someone else that names them.
    services.lock_thread(actor=moderator, thread=noted, reason="Cooling off")
    services.hide_post(actor=moderator, post=rafi_in_noted, reason="Off topic")
    from community.sanctions import warn_member

    warn_member(actor=moderator, space=space, member=zed, reason="Please keep to the guidelines")
    warn_member(
        actor=moderator, space=space, member=olu, reason=f"Please do not single out {NAME}."
    )

    # The live room: a message and a question.
    session = make_session(space, moderator, title="Can we talk about race?")
    live.send_live_message(actor=zed, session=session, body=WRITTEN["live"], client_msg_id="m1")
    question, _ = live.ask_question(
        actor=zed, session=session, body=WRITTEN["question"], client_msg_id="q1"
    )
    live.upvote_question(actor=olu, session=session, seq=question.seq)

    # The admin's own log, which names what it changed.
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(User),
        object_id=str(zed.pk),
        object_repr=str(zed),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["Organisation"]}}]),
    )
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(noted),
        object_id=str(noted.pk),
        object_repr=str(noted),
        action_flag=CHANGE,
        change_message=json.dumps([{"changed": {"fields": ["Is pinned"]}}]),
    )
    LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(Invitation),
        object_id=str(waiting.pk),
        object_repr=str(waiting),
        action_flag=CHANGE,
        change_message="[]",
    )

    # Everything is really there before erasure.
    before = _dump()
    for text in [NAME, EMAIL, *WRITTEN.values(), *PERSONAL.values()]:
        assert text.lower() in before, text
    from threads.models import Notification

    assert Notification.objects.filter(actor=zed).exists()
    assert Notification.objects.filter(text__contains=NAME).exists()
    assert (
        Notification.objects.filter(text__contains=WRITTEN["title"]).exclude(recipient=zed).exists()
    )

    return SimpleNamespace(
        zed=zed,
        olu=olu,
        rafi=rafi,
        used=used,
        waiting=waiting,
        noted=noted,
        olus=olus,
        reply=reply,
        anon=anon,
        olu_quoting=olu_quoting,
        rafi_quoting=rafi_quoting,
        olu_quoting_anon=olu_quoting_anon,
        rafi_in_noted=rafi_in_noted,
        their_flag=their_flag,
        flag_on_them=flag_on_them,
        session=session,
    )


def _erase(user: User, *, remove_content: bool) -> None:
    account_data.request_deletion(actor=user, remove_content=remove_content)
    User.objects.filter(pk=user.pk).update(deletion_requested_at=timezone.now() - timedelta(days=8))
    assert account_data.erase_due_accounts() == 1


def _assert_identity_gone(dump: str) -> None:
    needles = {
        "email": EMAIL,
        "email (local part)": EMAIL.split("@", 1)[0],
        **{f"name ({part})": part for part in NAME_PARTS},
        **PERSONAL,
    }
    assert _leaks(dump, needles) == {}


def _assert_common(world, staff) -> None:
    from moderation.models import Flag
    from threads.models import Notification, Post

    world.used.refresh_from_db()
    world.waiting.refresh_from_db()
    assert world.used.email == "" and world.waiting.email == ""
    # An invitation for one address does not become one for anyone with the link.
    assert world.waiting.revoked and not world.waiting.is_usable
    assert EMAIL not in json.dumps(account_data.build_export(staff))

    their_flag = Flag.objects.get(pk=world.their_flag.pk)  # the row stays, for the counts
    assert their_flag.details == ""
    assert Flag.objects.get(pk=world.flag_on_them.pk).target_user is None

    assert not Notification.objects.filter(actor=world.zed).exists()
    assert not Notification.objects.filter(recipient=world.zed).exists()
    for kept in KEPT.values():
        assert Post.objects.filter(body__contains=kept).exists(), kept


def _page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_erasure_that_removes_what_they_wrote_leaves_nothing_of_them(
    space, other_space, moderator, staff, login
):
    from realtime.models import LiveEvent
    from threads.models import Post, PostRevision

    world = _build_world(space, other_space, moderator, staff)
    _erase(world.zed, remove_content=True)

    dump = _dump()
    _assert_identity_gone(dump)
    assert _leaks(dump, WRITTEN) == {}
    _assert_common(world, staff)

    world.noted.refresh_from_db()
    assert world.noted.title == account_data.REMOVED_TITLE
    assert world.noted.content_note == ""
    # Others' replies in their thread stay; the thread counts what is still published.
    assert Post.objects.filter(pk=world.rafi_in_noted.pk, is_deleted=False).exists()
    assert (
        world.noted.post_count
        == Post.objects.filter(thread=world.noted, status="published", is_deleted=False).count()
    )
    assert not PostRevision.objects.filter(post__author=world.zed).exists()
    assert all(p.is_deleted for p in Post.objects.filter(author=world.zed))

    # Quotes of them: "Former member", and no text; nested quotes too.
    for post in (world.olu_quoting, world.rafi_quoting):
        post.refresh_from_db()
        assert "**Former member** wrote:" in post.body
        assert "(removed by its author)" in post.body
        assert "<strong>Former member</strong> wrote:" in post.body_html
        assert "(removed by its author)" in post.body_html
    world.olu_quoting_anon.refresh_from_db()
    assert "(removed by its author)" in world.olu_quoting_anon.body
    assert "Olu answers the anonymous one." in world.olu_quoting_anon.body

    events = LiveEvent.objects.filter(author=world.zed, kind__in=["message", "question"])
    assert events.count() == 2 and all(e.removed and not e.body for e in events)

    # What the other members and the moderators see.
    for reader in (world.olu, moderator):
        for thread in (world.noted, world.olus):
            page = _page(login(reader), thread.get_absolute_url())
            assert NAME not in page
            assert all(text not in page for text in WRITTEN.values())
        assert account_data.REMOVED_TITLE in _page(login(reader), world.noted.get_absolute_url())


def test_erasure_that_keeps_what_they_wrote_keeps_it_as_former_member(
    space, other_space, moderator, staff, login
):
    world = _build_world(space, other_space, moderator, staff)
    _erase(world.zed, remove_content=False)

    dump = _dump()
    _assert_identity_gone(dump)
    for key in ["title", "note", "opening", "reply", "reply2", "anon", "live", "question"]:
        assert WRITTEN[key].lower() in dump, key
    _assert_common(world, staff)

    world.noted.refresh_from_db()
    assert world.noted.title == WRITTEN["title"]
    world.reply.refresh_from_db()
    assert not world.reply.is_deleted and WRITTEN["reply"] in world.reply.body
    for post in (world.olu_quoting, world.rafi_quoting):
        post.refresh_from_db()
        assert "**Former member** wrote:" in post.body
        assert WRITTEN["reply"] in post.body
        assert "<strong>Former member</strong> wrote:" in post.body_html
        assert WRITTEN["reply"] in post.body_html

    # Their posts are shown as "Former member"'s.
    page = _page(login(world.olu), world.olus.get_absolute_url())
    assert NAME not in page
    assert WRITTEN["reply"] in page and "Former member" in page


def test_a_quote_names_former_member_even_after_the_quoted_member_renamed(space):
    from threads import services

    zed = make_member(space, NAME)
    olu = make_member(space, "Olu Other")
    thread = services.create_thread(
        actor=olu, space=space, title="Olu's thread", body="Olu opens the thread."
    )
    reply = services.create_reply(actor=zed, thread=thread, body="What I said then.")
    quoted, draft = services.quote_for_reply(actor=olu, thread=thread, post_id=reply.pk)
    quoting = services.create_reply(actor=olu, thread=thread, body=draft + "Olu.", quote=quoted)
    User.objects.filter(pk=zed.pk).update(display_name="Zed Renamed")
    zed.refresh_from_db()

    _erase(zed, remove_content=False)

    quoting.refresh_from_db()
    assert NAME not in quoting.body and NAME not in quoting.body_html
    assert quoting.body.startswith("**Former member** wrote:")
    assert "What I said then." in quoting.body
