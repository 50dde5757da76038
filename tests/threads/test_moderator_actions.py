"""The moderators' actions on posts and threads, which threads.services owns: each checks the
moderator's policy, changes the row, audits, tells the author, settles the flags and broadcasts."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from community.models import AuditEntry, Membership
from moderation.models import Flag
from moderation.registry import AUTOHIDE_REASON
from moderation.services import flag_post, flag_thread
from threads import services
from threads.models import Notification, Post, PostRevision, PostStatus, ThreadFollow

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(thread, other_member):
    return services.create_reply(actor=other_member, thread=thread, body="A reply under review.")


@pytest.fixture
def sent(monkeypatch):
    """Frames the channel layer was asked to send, as (group, frame)."""
    frames: list[tuple[str, dict]] = []

    class Layer:
        async def group_send(self, group, message):
            frames.append((group, json.loads(message["text"])))

    monkeypatch.setattr("realtime.broadcast.get_channel_layer", Layer)
    return frames


def _notice(user) -> Notification:
    return Notification.objects.filter(recipient=user, kind="moderation").latest("pk")


def test_moderator_hides_a_post_audits_tells_author_upholds_flags_and_broadcasts(
    thread, reply, member, other_member, moderator, sent, django_capture_on_commit_callbacks
):
    flag_post(actor=member, post=reply, reason="racist")
    with django_capture_on_commit_callbacks(execute=True):
        assert services.hide_post(actor=moderator, post=reply, reason="Racist language") is True
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.status == PostStatus.HIDDEN and reply.hidden_reason == "Racist language"
    assert thread.post_count == 1
    entry = AuditEntry.objects.get(action="post.hide")
    assert entry.actor == moderator and entry.reason == "Racist language"
    assert entry.target_label == f"Post #{reply.pk} in “{thread.title}”"
    notice = _notice(other_member)
    assert "hidden by a moderator: Racist language" in notice.text
    assert notice.post == reply and notice.thread == thread
    assert Flag.objects.get().status == Flag.Status.UPHELD
    changed = {"type": "post.changed", "thread_id": thread.pk, "post_id": reply.pk}
    assert (f"thread.{thread.pk}", changed) in sent
    assert services.hide_post(actor=moderator, post=reply, reason="Again") is False


def test_automatic_hide_audits_without_an_actor_and_leaves_flags_open(reply, member, other_member):
    flag_post(actor=member, post=reply, reason="spam")
    assert services.hide_post(actor=None, post=reply, reason="Flagged by 3 members.") is True
    reply.refresh_from_db()
    assert reply.status == PostStatus.HIDDEN and reply.hidden_reason == AUTOHIDE_REASON
    entry = AuditEntry.objects.get()
    assert entry.action == "post.autohide" and entry.actor is None
    assert "hidden after members flagged it" in _notice(other_member).text
    assert Flag.objects.get().status == Flag.Status.OPEN
    assert services.hide_post(actor=None, post=reply, reason="again") is False


def test_a_moderator_hide_replaces_an_automatic_one(reply, moderator):
    services.hide_post(actor=None, post=reply, reason="")
    assert services.hide_post(actor=moderator, post=reply, reason="Confirmed spam") is True
    reply.refresh_from_db()
    assert reply.hidden_reason == "Confirmed spam"


def test_restore_publishes_again_and_dismisses_flags(
    thread, reply, member, other_member, moderator
):
    flag_post(actor=member, post=reply, reason="spam")
    services.hide_post(actor=None, post=reply, reason="")
    assert services.restore_post(actor=moderator, post=reply) is True
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.status == PostStatus.PUBLISHED and reply.hidden_reason == ""
    assert thread.post_count == 2
    assert Flag.objects.get().status == Flag.Status.DISMISSED
    assert AuditEntry.objects.filter(action="post.restore", actor=moderator).exists()
    assert "visible again" in _notice(other_member).text
    assert services.restore_post(actor=moderator, post=reply) is False


def test_approving_a_pending_reply_publishes_it_and_tells_followers_only_now(
    monkeypatch, thread, member, other_member, moderator
):
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    pending = services.create_reply(actor=other_member, thread=thread, body="First words")
    assert pending.status == PostStatus.PENDING
    assert not Notification.objects.filter(recipient=member).exists()
    assert services.approve_post(actor=moderator, post=pending) is True
    pending.refresh_from_db()
    thread.refresh_from_db()
    assert pending.status == PostStatus.PUBLISHED and thread.post_count == 2
    assert Notification.objects.get(recipient=member).kind == "reply"
    assert "approved and is now published" in _notice(other_member).text
    assert AuditEntry.objects.filter(action="post.approve").count() == 1
    assert services.approve_post(actor=moderator, post=pending) is False


def test_approving_a_pending_opening_post_publishes_the_thread(
    monkeypatch, space, member, moderator
):
    monkeypatch.setattr("threads.policy.needs_premoderation", lambda **kw: True)
    thread = services.create_thread(actor=member, space=space, title="Held", body="Hello")
    assert thread.is_pending
    services.approve_post(actor=moderator, post=thread.posts.get())
    thread.refresh_from_db()
    assert not thread.is_pending and thread.post_count == 1


def test_moderator_delete_needs_a_reason_and_tells_the_author_without_a_link(
    thread, reply, other_member, moderator
):
    with pytest.raises(ValidationError, match="reason"):
        services.delete_post(actor=moderator, post=reply, reason=" ")
    reply.refresh_from_db()
    assert not reply.is_deleted and not AuditEntry.objects.exists()
    assert services.delete_post(actor=moderator, post=reply, reason="Doxxing") is True
    reply.refresh_from_db()
    thread.refresh_from_db()
    assert reply.is_deleted and thread.post_count == 1
    assert AuditEntry.objects.get().action == "post.delete"
    notice = _notice(other_member)
    assert "deleted by a moderator: Doxxing" in notice.text
    assert notice.post is None and notice.thread is None
    assert services.delete_post(actor=moderator, post=reply, reason="Doxxing") is False


def test_author_delete_is_not_a_moderation_action(reply, other_member):
    assert services.delete_post(actor=other_member, post=reply) is True
    assert not AuditEntry.objects.exists()
    assert not Notification.objects.filter(kind="moderation").exists()


@pytest.mark.parametrize(
    ("call", "field", "value", "action"),
    [
        (services.lock_thread, "is_locked", True, "thread.lock"),
        (services.pin_thread, "is_pinned", True, "thread.pin"),
    ],
)
def test_lock_and_pin_are_audited_and_harmless_twice(thread, moderator, call, field, value, action):
    assert call(actor=moderator, thread=thread, reason="Calm down") is True
    assert call(actor=moderator, thread=thread) is False
    thread.refresh_from_db()
    assert getattr(thread, field) is value
    assert list(AuditEntry.objects.values_list("action", "reason")) == [(action, "Calm down")]


def test_unlock_and_unpin_undo(thread, moderator):
    services.lock_thread(actor=moderator, thread=thread)
    services.pin_thread(actor=moderator, thread=thread)
    assert services.unlock_thread(actor=moderator, thread=thread) is True
    assert services.unpin_thread(actor=moderator, thread=thread) is True
    thread.refresh_from_db()
    assert not thread.is_locked and not thread.is_pinned
    assert AuditEntry.objects.filter(action__in=["thread.unlock", "thread.unpin"]).count() == 2


def test_member_cannot_lock_and_nothing_changes(thread, other_member):
    with pytest.raises(PermissionDenied):
        services.lock_thread(actor=other_member, thread=thread)
    thread.refresh_from_db()
    assert not thread.is_locked and not AuditEntry.objects.exists()


def test_hide_and_restore_a_thread(thread, member, other_member, moderator):
    flag_thread(actor=other_member, thread=thread, reason="other")
    with pytest.raises(ValidationError, match="reason"):
        services.hide_thread(actor=moderator, thread=thread, reason="")
    assert services.hide_thread(actor=moderator, thread=thread, reason="Off topic") is True
    thread.refresh_from_db()
    assert thread.is_hidden and thread.hidden_reason == "Off topic"
    assert Flag.objects.get().status == Flag.Status.UPHELD
    assert "Your thread “" in _notice(member).text and _notice(member).thread == thread
    assert services.restore_thread(actor=moderator, thread=thread) is True
    thread.refresh_from_db()
    assert not thread.is_hidden
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["thread.hide", "thread.restore"]


def test_automatic_thread_hide(thread, member):
    assert services.hide_thread(actor=None, thread=thread, reason="Flagged by 3 members.") is True
    thread.refresh_from_db()
    assert thread.hidden_reason == AUTOHIDE_REASON
    entry = AuditEntry.objects.get()
    assert entry.action == "thread.autohide" and entry.actor is None
    assert "hidden after members flagged it" in _notice(member).text


def test_move_takes_posts_and_every_flag_and_is_audited_in_both_spaces(
    thread, reply, other_space, member, other_member, moderator
):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    open_flag = flag_post(actor=member, post=reply, reason="spam")
    closed_flag = flag_thread(actor=other_member, thread=thread, reason="other")
    Flag.objects.filter(pk=closed_flag.pk).update(status=Flag.Status.DISMISSED)
    space = thread.space
    assert services.move_thread(actor=moderator, thread=thread, to_space=other_space) is True
    thread.refresh_from_db()
    assert thread.space == other_space
    assert set(Flag.objects.values_list("pk", "space")) == {
        (open_flag.pk, other_space.pk),
        (closed_flag.pk, other_space.pk),
    }
    assert set(AuditEntry.objects.values_list("action", "space")) == {
        ("thread.move", space.pk),
        ("thread.move", other_space.pk),
    }
    assert f"moved to {other_space.name}" in _notice(member).text
    assert services.move_thread(actor=moderator, thread=thread, to_space=other_space) is False


def test_move_to_a_space_the_moderator_does_not_moderate_is_refused(thread, other_space, moderator):
    with pytest.raises(Http404):
        services.move_thread(actor=moderator, thread=thread, to_space=other_space)
    thread.refresh_from_db()
    assert thread.space != other_space and not AuditEntry.objects.exists()


def test_follow_state_survives_moderation(thread, member, moderator):
    services.lock_thread(actor=moderator, thread=thread)
    assert ThreadFollow.objects.filter(user=member, thread=thread).exists()


def test_revisions_are_kept_for_every_edit(thread, member, moderator):
    opening = thread.posts.get()
    services.edit_post(actor=member, post=opening, body="v2")
    services.edit_post(actor=moderator, post=opening, body="v3", reason="Named a patient")
    assert list(PostRevision.objects.order_by("pk").values_list("body", "edited_by", "reason")) == [
        ("We started reverse mentoring for our board last year.", member.pk, ""),
        ("v2", moderator.pk, "Named a patient"),
    ]
    assert Post.objects.get(pk=opening.pk).body == "v3"
