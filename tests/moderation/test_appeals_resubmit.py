"""A hidden post, edited by its author, is resubmitted for a moderator's review."""

from __future__ import annotations

from django.urls import reverse

from community.models import AuditAction, AuditEntry
from threads import services as thread_services
from threads.models import Post

from .conftest import act


def _edit_url(post):
    thread = post.thread
    return reverse("post_edit", args=[thread.space.slug, thread.pk, post.pk])


def test_author_edits_a_hidden_post_and_it_waits_for_review(
    space, member, other_member, moderator, login
):
    thread = thread_services.create_thread(
        actor=member, space=space, title="On the ward", body="First text."
    )
    post = thread_services.create_reply(actor=member, thread=thread, body="A sharp reply.")
    act(moderator, post, "hide", reason="Too personal")
    page = login(member).get(thread.get_absolute_url()).content.decode()
    assert "resubmit it for a moderator" in page
    response = login(member).post(_edit_url(post), {"body": "A kinder reply."})
    assert response.status_code == 302
    post.refresh_from_db()
    assert (
        post.is_hidden and post.pending_body == "A kinder reply." and post.body == "A sharp reply."
    )
    # still hidden from peers, and waiting in the queue
    assert (
        "A kinder reply" not in login(other_member).get(thread.get_absolute_url()).content.decode()
    )
    queue = login(moderator).get(reverse("moderation_queue")).content.decode()
    assert "Resubmitted by its author" in queue and "A kinder reply" in queue

    assert act(moderator, post, "approve")
    post.refresh_from_db()
    assert post.is_published and post.body == "A kinder reply." and not post.has_pending_edit
    assert (
        "Resubmitted edit approved"
        in AuditEntry.objects.filter(action=AuditAction.POST_APPROVE).latest("pk").reason
    )
    assert "A kinder reply" in login(other_member).get(thread.get_absolute_url()).content.decode()


def test_declined_resubmission_stays_hidden(space, member, moderator):
    thread = thread_services.create_thread(actor=member, space=space, title="T", body="Body.")
    post = thread_services.create_reply(actor=member, thread=thread, body="Reply.")
    act(moderator, post, "hide", reason="No")
    thread_services.edit_post(actor=member, post=post, body="Reply, edited.")
    assert act(moderator, post, "decline_edit", reason="Still names a colleague")
    post = Post.objects.get(pk=post.pk)
    assert post.is_hidden and post.body == "Reply." and not post.has_pending_edit


def test_someone_else_cannot_resubmit_a_hidden_post(space, member, other_member, moderator, login):
    thread = thread_services.create_thread(actor=member, space=space, title="T", body="Body.")
    post = thread_services.create_reply(actor=member, thread=thread, body="Reply.")
    act(moderator, post, "hide", reason="No")
    response = login(other_member).post(_edit_url(post), {"body": "Hijack"})
    assert response.status_code in (403, 404)
    post.refresh_from_db()
    assert post.pending_body == "" and post.body == "Reply."
