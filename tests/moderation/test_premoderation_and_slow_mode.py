"""Pre-moderation and slow mode: the space's moderation settings, applied by the threads app
(threads.policy) when a member posts; moderators and staff are exempt (moderation.screening)."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied

from threads.policy import check_slow_mode, needs_premoderation

from .conftest import make_post


def test_first_posts_need_approval_until_count_reached(space, member, a_thread):
    space.premoderation_count = 2
    space.save()
    # a_thread's opening post by member is already published: one approved post.
    assert needs_premoderation(actor=member, space=space) is True
    make_post(a_thread, member)
    assert needs_premoderation(actor=member, space=space) is False


def test_pending_posts_do_not_count_towards_premoderation(space, member, a_thread):
    space.premoderation_count = 2
    space.save()
    make_post(a_thread, member, status="pending")
    assert needs_premoderation(actor=member, space=space) is True


def test_premoderation_off_by_default(space, member):
    assert needs_premoderation(actor=member, space=space) is False


def test_moderators_skip_premoderation(space, moderator):
    space.premoderation_count = 5
    space.save()
    assert needs_premoderation(actor=moderator, space=space) is False


def test_space_slow_mode_tells_member_when_they_can_post(space, member, a_thread):
    space.slow_mode_seconds = 60
    space.save()
    a_thread.posts.update(created_at=a_thread.created_at - timedelta(minutes=5))
    make_post(a_thread, member, ago=timedelta(seconds=15))
    with pytest.raises(PermissionDenied, match=r"You can post again in 45 seconds\."):
        check_slow_mode(actor=member, space=space, thread=a_thread)


def test_slow_mode_passes_after_the_window(space, member, a_thread):
    space.slow_mode_seconds = 60
    space.save()
    # the opening post is "now"; age every post of member's
    a_thread.posts.update(created_at=a_thread.created_at - timedelta(minutes=5))
    assert check_slow_mode(actor=member, space=space, thread=a_thread) is None


def test_thread_slow_mode_applies_to_that_thread_only(space, member, a_thread, other_member):
    from .conftest import make_thread

    a_thread.posts.update(created_at=a_thread.created_at - timedelta(minutes=5))
    a_thread.slow_mode_seconds = 600
    a_thread.save()
    make_post(a_thread, member, ago=timedelta(seconds=100))
    with pytest.raises(PermissionDenied, match="500 seconds"):
        check_slow_mode(actor=member, space=space, thread=a_thread)
    elsewhere = make_thread(space, other_member)
    assert check_slow_mode(actor=member, space=space, thread=elsewhere) is None


def test_moderators_skip_slow_mode(space, moderator, a_thread):
    space.slow_mode_seconds = 60
    space.save()
    make_post(a_thread, moderator)
    assert check_slow_mode(actor=moderator, space=space, thread=a_thread) is None
