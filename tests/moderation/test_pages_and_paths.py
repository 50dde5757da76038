"""Moderation through HTTP and through the other apps' services: the same rules on every path."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community.demo import DemoContext
from community.models import AuditEntry
from community.sanctions import mute_member
from moderation import demo
from moderation.models import Flag, WatchedWord
from moderation.services import flag_item
from realtime.models import LiveEvent, LiveSession
from realtime.services import flag_reason
from threads import services as thread_services
from threads.models import Post

from .conftest import act


def test_member_flags_a_post_through_the_form(a_post, other_member, login):
    client = login(other_member)
    assert client.get(f"/moderation/flag/post/{a_post.pk}/").status_code == 200
    response = client.post(
        f"/moderation/flag/post/{a_post.pk}/", {"reason": "racist", "details": "Slur"}
    )
    assert response.status_code == 302
    assert Flag.objects.get().details == "Slur"


def test_second_flag_through_the_form_is_refused_with_a_message(a_post, other_member, login):
    client = login(other_member)
    client.post(f"/moderation/flag/post/{a_post.pk}/", {"reason": "spam"})
    response = client.post(
        f"/moderation/flag/post/{a_post.pk}/", {"reason": "other", "details": "Again"}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "already flagged" in html and "Again" in html  # the details stay in the form
    assert Flag.objects.count() == 1


def test_flag_form_without_a_reason_keeps_the_details(a_post, other_member, login):
    response = login(other_member).post(
        f"/moderation/flag/post/{a_post.pk}/", {"details": "Keep me"}
    )
    assert response.status_code == 200
    assert "Keep me" in response.content.decode()
    assert not Flag.objects.exists()


@pytest.mark.parametrize("role", ["outsider", "other_moderator"])
def test_flag_on_invisible_post_or_thread_is_404(request, role, a_post, login):
    client = login(request.getfixturevalue(role))
    assert client.get(f"/moderation/flag/post/{a_post.pk}/").status_code == 404
    assert client.post(f"/moderation/flag/post/{a_post.pk}/", {"reason": "spam"}).status_code == 404
    assert (
        client.post(f"/moderation/flag/thread/{a_post.thread_id}/", {"reason": "spam"}).status_code
        == 404
    )
    assert client.post("/moderation/flag/post/999999/", {"reason": "spam"}).status_code == 404
    assert not Flag.objects.exists()


def test_flag_a_member_through_the_form(space, member, other_member, login):
    response = login(other_member).post(
        f"/moderation/flag/member/{space.slug}/{member.pk}/", {"reason": "personal_attack"}
    )
    assert response.status_code == 302
    assert Flag.objects.get().kind == "member"


def test_hide_without_reason_keeps_the_form_and_changes_nothing(a_post, moderator, login):
    response = login(moderator).post(f"/moderation/posts/{a_post.pk}/hide/", {"reason": ""})
    assert response.status_code == 200
    assert "Give a reason" in response.content.decode()
    a_post.refresh_from_db()
    assert a_post.status == "published"
    assert not AuditEntry.objects.exists()


def test_mute_in_the_past_through_the_form_keeps_the_reason(space, moderator, member, login):
    past = (timezone.localtime() - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    response = login(moderator).post(
        f"/moderation/spaces/{space.slug}/members/{member.pk}/mute/",
        {"duration": "", "until": past, "reason": "Heated thread"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "future" in html and "Heated thread" in html
    assert not AuditEntry.objects.exists()


def test_member_posting_moderation_action_gets_403(a_post, member, login):
    response = login(member).post(f"/moderation/posts/{a_post.pk}/hide/", {"reason": "x"})
    assert response.status_code == 403
    a_post.refresh_from_db()
    assert a_post.status == "published"


def test_moderator_of_another_space_gets_404_for_actions(a_post, other_moderator, login):
    client = login(other_moderator)
    assert client.post(f"/moderation/posts/{a_post.pk}/hide/", {"reason": "x"}).status_code == 404
    assert client.post(f"/moderation/threads/{a_post.thread_id}/lock/").status_code == 404


def test_moderator_edits_post_with_reason_and_revision_is_kept(a_post, moderator, login):
    client = login(moderator)
    assert (
        "Something a peer might flag."
        in client.get(f"/moderation/posts/{a_post.pk}/edit/").content.decode()
    )
    response = client.post(
        f"/moderation/posts/{a_post.pk}/edit/", {"body": "Edited text", "reason": "Named a patient"}
    )
    assert response.status_code == 302
    a_post.refresh_from_db()
    assert a_post.body == "Edited text" and a_post.edited_at is not None
    assert a_post.revisions.get().body == "Something a peer might flag."
    assert AuditEntry.objects.get().reason == "Named a patient"


def test_moderator_moves_a_thread_between_spaces_they_moderate(
    space, other_space, moderator, a_thread, login
):
    from community.models import Membership

    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    client = login(moderator)
    assert (
        other_space.name in client.get(f"/moderation/threads/{a_thread.pk}/move/").content.decode()
    )
    response = client.post(
        f"/moderation/threads/{a_thread.pk}/move/", {"to_space": other_space.slug}
    )
    assert response.status_code == 302
    a_thread.refresh_from_db()
    assert a_thread.space == other_space
    assert AuditEntry.objects.filter(action="thread.move").count() == 2


def test_staff_suspends_through_the_form(staff, member, login):
    response = login(staff).post(
        f"/moderation/accounts/{member.pk}/suspend/", {"duration": "72", "reason": "Abuse"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.is_suspended


def test_moderator_cannot_open_suspend_form(moderator, member, login):
    assert login(moderator).get(f"/moderation/accounts/{member.pk}/suspend/").status_code == 403


# Audit log page -----------------------------------------------------------------------------


def test_audit_page_shows_the_moderators_spaces_only(
    space, other_space, moderator, other_moderator, member, login, staff
):
    mute_member(
        actor=moderator,
        space=space,
        member=member,
        until=timezone.now() + timedelta(hours=1),
        reason="Cool off",
    )
    page = login(moderator).get("/moderation/audit/")
    assert page.status_code == 200
    assert "Cool off" in page.content.decode()
    assert "Cool off" not in login(other_moderator).get("/moderation/audit/").content.decode()
    assert "Cool off" in login(staff).get("/moderation/audit/").content.decode()
    assert login(member).get("/moderation/audit/").status_code == 403


def test_audit_page_has_no_way_to_change_entries(space, moderator, member, login):
    mute_member(
        actor=moderator,
        space=space,
        member=member,
        until=timezone.now() + timedelta(hours=1),
        reason="x",
    )
    client = login(moderator)
    assert client.post("/moderation/audit/", {"reason": "y"}).status_code in (200, 405)
    assert AuditEntry.objects.get().reason.startswith("x")


# The rules on the threads path ----------------------------------------------------------------


def test_block_word_refuses_a_reply_naming_the_rule(space, member, a_thread):
    WatchedWord.objects.create(word="forbidden", action=WatchedWord.Action.BLOCK, space=space)
    before = Post.objects.count()
    with pytest.raises(ValidationError) as excinfo:
        thread_services.create_reply(actor=member, thread=a_thread, body="That is FORBIDDEN talk")
    assert "forbidden" in " ".join(excinfo.value.messages).lower()
    assert Post.objects.count() == before


def test_require_approval_word_holds_a_reply(space, member, a_thread):
    WatchedWord.objects.create(word="link", action=WatchedWord.Action.REQUIRE_APPROVAL)
    post = thread_services.create_reply(actor=member, thread=a_thread, body="a link here")
    assert post.status == "pending"


def test_flag_word_publishes_and_raises_an_automatic_flag(space, member, a_thread):
    WatchedWord.objects.create(word="snowflake", action=WatchedWord.Action.FLAG)
    post = thread_services.create_reply(actor=member, thread=a_thread, body="Such a snowflake")
    assert post.status == "published"
    flag = Flag.objects.get()
    assert flag.flagger is None and flag.target_id == post.pk


def test_premoderated_reply_waits_then_approval_publishes_it(space, member, moderator, a_thread):
    space.premoderation_count = 5
    space.save()
    post = thread_services.create_reply(actor=member, thread=a_thread, body="First words")
    assert post.status == "pending"
    count = a_thread.__class__.objects.get(pk=a_thread.pk).post_count
    assert act(moderator, post, "approve")
    assert a_thread.__class__.objects.get(pk=a_thread.pk).post_count == count + 1


def test_muted_member_cannot_reply_and_is_told_until_when(space, moderator, member, a_thread):
    mute_member(
        actor=moderator,
        space=space,
        member=member,
        until=timezone.now() + timedelta(hours=3),
        reason="Cool off",
    )
    member.refresh_from_db()
    fresh = a_thread.__class__.objects.get(pk=a_thread.pk)
    with pytest.raises(PermissionDenied, match=r"muted .* until"):
        thread_services.create_reply(actor=member, thread=fresh, body="Let me in")


def test_slow_mode_refuses_a_quick_second_reply(space, member, a_thread):
    space.slow_mode_seconds = 120
    space.save()
    a_thread.posts.update(created_at=timezone.now() - timedelta(hours=1))
    thread_services.create_reply(actor=member, thread=a_thread, body="One")
    with pytest.raises(PermissionDenied, match=r"You can post again in \d+ seconds"):
        thread_services.create_reply(actor=member, thread=a_thread, body="Two")


# Live messages --------------------------------------------------------------------------------


@pytest.fixture
def live_message(space, member):
    now = timezone.now()
    session = LiveSession.objects.create(
        space=space,
        title="Can we talk about race?",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        status="live",
        last_seq=1,
    )
    return LiveEvent.objects.create(
        session=session,
        seq=1,
        kind="message",
        author=member,
        body="Hello",
        body_html="<p>Hello</p>",
    )


def flag_live_event(*, actor, event, reason):
    """As the live room's ``flag`` command does (realtime.services.flag_event)."""
    return flag_item(actor=actor, target=event, **flag_reason(reason))


def test_live_message_flag_takes_free_text_reason(live_message, other_member):
    flag = flag_live_event(actor=other_member, event=live_message, reason="He named a patient")
    assert flag.kind == "live_message" and flag.reason == "other"
    assert flag.details == "He named a patient"


def test_live_message_flag_by_category_label(live_message, other_member):
    flag = flag_live_event(actor=other_member, event=live_message, reason="Personal attack")
    assert flag.reason == "personal_attack"


def test_moderator_removes_flagged_live_message(live_message, other_member, moderator):
    flag_live_event(actor=other_member, event=live_message, reason="spam")
    assert act(moderator, live_message, "hide", reason="Spam link")
    live_message.refresh_from_db()
    assert live_message.removed
    assert not act(moderator, live_message, "hide", reason="Spam link")
    assert AuditEntry.objects.filter(action="live.hide").count() == 1
    assert Flag.objects.get().status == Flag.Status.UPHELD


def test_moderator_removes_a_live_message_through_the_page(
    live_message, other_member, moderator, login
):
    flag_live_event(actor=other_member, event=live_message, reason="spam")
    client = login(moderator)
    assert client.get(f"/moderation/live/{live_message.pk}/hide/").status_code == 200
    response = client.post(f"/moderation/live/{live_message.pk}/hide/", {"reason": "Spam link"})
    assert response.status_code == 302
    live_message.refresh_from_db()
    assert live_message.removed


# Demo data ------------------------------------------------------------------------------------


def test_demo_seed_of_watched_words_is_idempotent(space, member):
    ctx = DemoContext(users={"member": member, "staff": None}, spaces={space.slug: space})
    demo.seed(ctx)
    demo.seed(ctx)
    assert WatchedWord.objects.count() == 1 and not Flag.objects.exists()


def test_tool_includes_render_for_moderators_and_members(rf, a_post, moderator, other_member):
    from django.template.loader import render_to_string

    request = rf.get("/spaces/x/threads/1/")
    context = {"post": a_post, "thread": a_post.thread, "request": request}
    for_moderator = render_to_string(
        "moderation/_post_tools.html", {**context, "user": moderator, "can_moderate": True}
    )
    assert f"/moderation/posts/{a_post.pk}/hide/" in for_moderator
    for_member = render_to_string(
        "moderation/_post_tools.html", {**context, "user": other_member, "can_moderate": False}
    )
    assert f"/moderation/flag/post/{a_post.pk}/" in for_member and "hide" not in for_member
    thread_tools = render_to_string(
        "moderation/_thread_tools.html", {**context, "user": moderator, "can_moderate": True}
    )
    assert f"/moderation/threads/{a_post.thread_id}/lock/" in thread_tools


# One action view for every kind -----------------------------------------------------------------


def test_the_generic_action_url_and_the_old_names_reach_the_same_view(a_post, moderator, login):
    from django.urls import reverse

    assert reverse("moderation_post", args=[a_post.pk, "hide"]) == (
        f"/moderation/posts/{a_post.pk}/hide/"
    )
    assert reverse("moderation_item", args=["post", a_post.pk, "hide"]) == (
        f"/moderation/post/{a_post.pk}/hide/"
    )
    response = login(moderator).post(f"/moderation/post/{a_post.pk}/hide/", {"reason": "Off topic"})
    assert response.status_code == 302
    a_post.refresh_from_db()
    assert a_post.status == "hidden"
    assert AuditEntry.objects.get().action == "post.hide"


@pytest.mark.parametrize(
    "path",
    [
        "/moderation/nosuchkind/{pk}/hide/",  # no app registers the kind
        "/moderation/post/{pk}/lock/",  # not an action of posts
        "/moderation/post/999999/hide/",  # no such post
        "/moderation/member/{author}/warn/",  # members are acted on in a space
    ],
)
def test_the_generic_action_url_is_404_for_what_it_does_not_know(path, a_post, moderator, login):
    url = path.format(pk=a_post.pk, author=a_post.author_id)
    client = login(moderator)
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    a_post.refresh_from_db()
    assert a_post.status == "published"
    assert not AuditEntry.objects.exists()


def test_flagged_live_message_is_in_the_queue_with_its_kinds_card(
    live_message, other_member, moderator, login
):
    flag_live_event(actor=other_member, event=live_message, reason="He named a patient")
    response = login(moderator).get("/moderation/")
    html = response.content.decode()
    assert f'id="flagged-live_message-{live_message.pk}"' in html
    assert "He named a patient" in html
    assert f"/moderation/live_message/{live_message.pk}/hide/" in html


def test_dismissing_member_flags_closes_only_that_spaces_flags(
    space, other_space, member, other_member, moderator, login
):
    from community.models import Membership
    from moderation.services import flag_member
    from tests.conftest import make_member

    Membership.objects.create(user=member, space=other_space)
    here = flag_member(actor=other_member, member=member, space=space, reason="spam")
    there = flag_member(
        actor=make_member(other_space), member=member, space=other_space, reason="spam"
    )
    response = login(moderator).post(
        f"/moderation/spaces/{space.slug}/members/{member.pk}/dismiss/"
    )
    assert response.status_code == 302
    here.refresh_from_db()
    there.refresh_from_db()
    assert here.status == Flag.Status.DISMISSED and there.status == Flag.Status.OPEN
    entry = AuditEntry.objects.get()
    assert entry.action == "flag.dismiss" and entry.space == space


def test_automatic_hide_leaves_the_flags_open_for_a_moderator(space, a_post, flaggers):
    from moderation.services import flag_post

    space.autohide_threshold = 2
    space.save()
    for flagger in flaggers[:2]:
        flag_post(actor=flagger, post=a_post, reason="spam")
    a_post.refresh_from_db()
    assert a_post.status == "hidden"
    assert Flag.objects.open().count() == 2
    entry = AuditEntry.objects.get()
    assert entry.action == "post.autohide" and entry.actor is None
