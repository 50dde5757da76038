"""The rules that count a member's posts (pre-moderation, slow mode) and the guidelines gate:
checked by the services that store posts, so every path (page, HTMX, socket, script) is held."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from community.models import GuidelinesVersion
from community.policy import GuidelinesRequired
from threads import policy, services
from threads.models import Post, PostStatus, Thread

pytestmark = pytest.mark.django_db


def _age_posts(thread, by=timedelta(minutes=5)):
    for post in Post.objects.filter(thread=thread):
        Post.objects.filter(pk=post.pk).update(created_at=post.created_at - by)


def test_first_posts_need_approval_until_the_count_is_reached(space, thread, member):
    space.premoderation_count = 2
    space.save()
    # the thread's opening post by member is published: one approved post
    assert policy.needs_premoderation(actor=member, space=space) is True
    services.create_reply(actor=member, thread=thread, body="second")  # held
    assert policy.needs_premoderation(member, space) is True, "a pending post does not count"
    Post.objects.filter(author=member).update(status=PostStatus.PUBLISHED)
    assert policy.needs_premoderation(member, space) is False


def test_premoderation_holds_a_reply_and_its_author_is_told(login, space, thread, other_member):
    space.premoderation_count = 1
    space.save()
    response = login(other_member).post(
        f"/spaces/{space.slug}/threads/{thread.pk}/reply/", {"body": "Hello all"}, follow=True
    )
    assert "will appear once a moderator approves it" in response.content.decode()
    assert Post.objects.get(body="Hello all").status == PostStatus.PENDING


def test_moderators_and_staff_skip_premoderation(space, moderator, staff):
    space.premoderation_count = 5
    space.save()
    assert policy.needs_premoderation(moderator, space) is False
    assert policy.needs_premoderation(staff, space) is False


def test_space_slow_mode_refuses_a_second_post_and_saves_nothing(space, thread, member):
    space.slow_mode_seconds = 60
    space.save()
    _age_posts(thread)
    services.create_reply(actor=member, thread=thread, body="first")
    with pytest.raises(PermissionDenied, match=r"You can post again in (59|60) seconds\."):
        services.create_reply(actor=member, thread=thread, body="second")
    with pytest.raises(PermissionDenied, match="You can post again"):
        services.create_thread(actor=member, space=space, title="New", body="again")
    assert Post.objects.filter(author=member).count() == 2
    assert Thread.objects.count() == 1


def test_slow_mode_passes_after_the_window(space, thread, member):
    space.slow_mode_seconds = 60
    space.save()
    _age_posts(thread)
    assert policy.check_slow_mode(member, space, thread) is None


def test_thread_slow_mode_applies_to_that_thread_only(space, thread, member, other_member):
    _age_posts(thread, by=timedelta(seconds=100))
    thread.slow_mode_seconds = 600
    thread.save()
    with pytest.raises(PermissionDenied, match="500 seconds"):
        policy.check_slow_mode(actor=member, space=space, thread=thread)
    elsewhere = services.create_thread(actor=other_member, space=space, title="Else", body="x")
    assert policy.check_slow_mode(actor=member, space=space, thread=elsewhere) is None


def test_moderators_skip_slow_mode(space, thread, moderator):
    space.slow_mode_seconds = 60
    space.save()
    services.create_reply(actor=moderator, thread=thread, body="one")
    assert services.create_reply(actor=moderator, thread=thread, body="two").pk


def test_the_service_itself_asks_for_pending_guidelines_and_saves_nothing(space, thread, member):
    GuidelinesVersion.objects.create(space=space, version=2, body="v2", body_html="<p>v2</p>")
    with pytest.raises(GuidelinesRequired) as refused:
        services.create_reply(actor=member, thread=thread, body="A script's reply")
    assert refused.value.version.version == 2
    with pytest.raises(GuidelinesRequired):
        services.create_thread(actor=member, space=space, title="Scripted", body="x")
    assert Post.objects.count() == 1 and Thread.objects.count() == 1


def test_new_thread_page_asks_for_guidelines_before_the_member_types(login, space, member):
    GuidelinesVersion.objects.create(space=space, version=2, body="v2", body_html="<p>v2</p>")
    response = login(member).get(f"/spaces/{space.slug}/threads/new/")
    assert response.status_code == 302
    assert (
        response.url == f"/spaces/{space.slug}/guidelines/?next=/spaces/{space.slug}/threads/new/"
    )
