"""The post and thread kinds moderation talks to (threads.kinds), and their review-queue cards."""

from __future__ import annotations

import pytest
from django.http import Http404

from community.models import Membership
from moderation import registry
from moderation.services import flag_post, flag_thread
from tests.conftest import make_member
from threads import services
from threads.kinds import PostKind, ThreadKind
from threads.models import Post, PostStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(thread, other_member):
    return services.create_reply(actor=other_member, thread=thread, body="A reply to review.")


def test_threads_registers_its_two_kinds():
    assert isinstance(registry.kind_named("post"), PostKind)
    assert isinstance(registry.kind_named("thread"), ThreadKind)


def test_kinds_say_where_whose_and_what(thread, reply, other_member, member):
    posts, threads = registry.kind_named("post"), registry.kind_named("thread")
    assert posts.space_of(reply) == thread.space and posts.author_of(reply) == other_member
    assert posts.describe(reply) == f"Post #{reply.pk} in “{thread.title}”"
    assert threads.space_of(thread) == thread.space and threads.author_of(thread) == member
    assert threads.describe(thread) == f"Thread “{thread.title}”"
    assert posts.flag_label(reply) == f"a post in “{thread.title}”"
    assert threads.flag_label(thread) == f"the thread “{thread.title}”"


def test_an_anonymous_post_is_described_without_its_author(anonymous_thread):
    opening = anonymous_thread.posts.get()
    assert "Olu" not in PostKind().describe(opening)
    assert "Olu" not in ThreadKind().describe(anonymous_thread)


def test_load_many_reads_posts_with_their_thread_and_space_in_one_query(
    django_assert_num_queries, thread, reply
):
    opening = thread.posts.get(is_opening=True)
    with django_assert_num_queries(1):
        loaded = PostKind().load_many([opening.pk, reply.pk])
        labels = [PostKind().describe(post) for post in loaded.values()]
        spaces = [PostKind().space_of(post).name for post in loaded.values()]
        authors = [post.author.display_name for post in loaded.values()]
    assert len(labels) == len(spaces) == len(authors) == 2
    with django_assert_num_queries(1):
        threads = ThreadKind().load_many([thread.pk])
        assert ThreadKind().space_of(threads[thread.pk]).name == thread.space.name


def test_only_what_a_reader_sees_published_can_be_flagged(thread, reply, outsider, other_member):
    kind = PostKind()
    kind.check_flaggable_by(other_member, reply)
    with pytest.raises(Http404):
        kind.check_flaggable_by(outsider, reply)
    Post.objects.filter(pk=reply.pk).update(status=PostStatus.PENDING)
    reply.refresh_from_db()
    with pytest.raises(Http404):  # their own pending post: visible to them, not published
        kind.check_flaggable_by(other_member, reply)
    thread.is_hidden = True
    thread.save()
    with pytest.raises(Http404):
        ThreadKind().check_flaggable_by(other_member, thread)


def test_hidden_and_autohidden(thread, reply, moderator):
    kind = PostKind()
    assert not kind.is_hidden(reply)
    kind.hide(actor=None, item=reply, reason="")
    reply.refresh_from_db()
    assert kind.is_hidden(reply) and kind.is_autohidden(reply)
    kind.hide(actor=moderator, item=reply, reason="Spam")
    reply.refresh_from_db()
    assert kind.is_hidden(reply) and not kind.is_autohidden(reply)
    assert kind.restore(actor=moderator, item=reply) is True
    ThreadKind().hide(actor=None, item=thread, reason="")
    thread.refresh_from_db()
    assert ThreadKind().is_autohidden(thread)


def test_awaiting_approval_lists_pending_undeleted_posts_of_those_spaces(
    monkeypatch, thread, other_space, other_member, moderator
):
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    waiting = services.create_reply(actor=other_member, thread=thread, body="Waiting")
    gone = services.create_reply(actor=other_member, thread=thread, body="Gone")
    Post.objects.filter(pk=gone.pk).update(is_deleted=True)
    assert list(PostKind().awaiting_approval([thread.space_id])) == [waiting]
    assert list(PostKind().awaiting_approval([other_space.pk])) == []
    assert ThreadKind().awaiting_approval([thread.space_id]) is None


@pytest.mark.parametrize(
    ("action", "data", "check"),
    [
        ("hide", {"reason": "Spam"}, lambda p, t: p.status == PostStatus.HIDDEN),
        ("delete", {"reason": "Spam"}, lambda p, t: p.is_deleted),
        ("edit", {"body": "Tidied", "reason": "Name"}, lambda p, t: p.body == "Tidied"),
    ],
)
def test_post_kind_performs_each_action_through_the_services(
    reply, thread, moderator, action, data, check
):
    assert PostKind().perform(actor=moderator, item=reply, action=action, data=data) is True
    reply.refresh_from_db()
    assert check(reply, thread)


def test_post_kind_approves_and_restores(monkeypatch, thread, other_member, moderator):
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    pending = services.create_reply(actor=other_member, thread=thread, body="Waiting")
    kind = PostKind()
    assert kind.perform(actor=moderator, item=pending, action="approve", data={"reason": ""})
    kind.perform(actor=moderator, item=pending, action="hide", data={"reason": "Oops"})
    assert kind.perform(actor=moderator, item=pending, action="restore", data={"reason": ""})
    pending.refresh_from_db()
    assert pending.status == PostStatus.PUBLISHED


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [("lock", "is_locked", True), ("pin", "is_pinned", True), ("hide", "is_hidden", True)],
)
def test_thread_kind_performs_each_action(thread, moderator, action, field, value):
    data = {"reason": "Because"}
    assert ThreadKind().perform(actor=moderator, item=thread, action=action, data=data) is True
    thread.refresh_from_db()
    assert getattr(thread, field) is value


def test_thread_kind_moves_to_the_space_in_the_data(thread, other_space, moderator):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    data = {"to_space": other_space, "reason": ""}
    assert ThreadKind().perform(actor=moderator, item=thread, action="move", data=data) is True
    thread.refresh_from_db()
    assert thread.space == other_space


def test_an_unknown_action_looks_missing(thread, moderator):
    with pytest.raises(Http404):
        ThreadKind().perform(actor=moderator, item=thread, action="explode", data={})
    with pytest.raises(Http404):
        PostKind().perform(actor=moderator, item=thread.posts.get(), action="lock", data={})


def test_every_action_the_kinds_offer_is_one_they_perform():
    forms = {"reason", "note", "edit", "move", "until"}
    assert set(PostKind.actions) == {"approve", "hide", "restore", "delete", "edit", "decline_edit"}
    assert set(ThreadKind.actions) == {"lock", "unlock", "pin", "unpin", "hide", "restore", "move"}
    for spec in [*PostKind.actions.values(), *ThreadKind.actions.values()]:
        assert spec.form in forms
    assert PostKind.actions["delete"].destructive


# The review queue's cards -----------------------------------------------------------------


def test_queue_shows_a_flagged_post_a_flagged_thread_and_a_pending_post_with_their_tools(
    monkeypatch, login, space, thread, reply, member, other_member, moderator
):
    flag_post(actor=member, post=reply, reason="spam", details="Selling courses")
    flag_thread(actor=other_member, thread=thread, reason="other")
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    waiting = services.create_reply(actor=make_member(space), thread=thread, body="Held back")
    page = login(moderator).get("/moderation/").content.decode()
    assert f'id="flagged-post-{reply.pk}"' in page
    assert "Post in" in page and "A reply to review." in page and "Selling courses" in page
    assert f"/moderation/post/{reply.pk}/hide/" in page
    assert f"/moderation/post/{reply.pk}/dismiss/" in page
    assert "Warn author" in page and "Mute author" in page
    assert f'id="flagged-thread-{thread.pk}"' in page
    assert f"/moderation/thread/{thread.pk}/lock/" in page
    assert f"/moderation/thread/{thread.pk}/move/" in page
    assert f'id="pending-post-{waiting.pk}"' in page and "Held back" in page
    assert f"/moderation/post/{waiting.pk}/approve/" in page


def test_queue_card_shows_an_anonymous_author_as_anonymous_to_members(
    login, anonymous_thread, member, moderator
):
    flag_thread(actor=member, thread=anonymous_thread, reason="other")
    page = login(moderator).get("/moderation/").content.decode()
    assert "Anonymous to members" in page
