"""One edit_post and one delete_post for authors and moderators alike. Before, the thread page
and the review queue each had their own, and they disagreed; these tests hold the one rule.

- A moderator changing someone else's post gives a reason, the author is told, the audit log
  keeps it and open flags on the post are upheld: on the thread page too (it did none of that).
- Every edit keeps a revision with the old title of an opening post: the queue's too (it kept
  the body only).
- A deleted post cannot be edited, by anyone (the thread page let a moderator edit it).
- Watched words apply to an author's edit as to their first version: a ``flag`` word added by an
  edit raises an automatic flag (only ``block`` words were looked at).
- An author's own edit or delete is not a moderation action: no audit entry, no notice.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community.models import AuditEntry
from moderation.models import Flag, WatchedWord
from moderation.services import flag_post
from threads import services
from threads.kinds import PostKind
from threads.models import Notification, PostRevision

from .helpers import post_url, thread_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(thread, other_member):
    return services.create_reply(actor=other_member, thread=thread, body="Something a peer flags.")


def test_moderator_edit_on_the_thread_page_is_audited_and_upholds_flags(
    login, thread, reply, member, other_member, moderator
):
    flag_post(actor=member, post=reply, reason="confidentiality")
    response = login(moderator).post(
        post_url(reply, "edit/"), {"body": "[removed]", "reason": "Named a colleague"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.reason) == (
        "post.edit",
        moderator,
        "Named a colleague",
    )
    assert Flag.objects.get().status == Flag.Status.UPHELD
    notice = Notification.objects.get(recipient=other_member, kind="moderation")
    assert "edited by a moderator: Named a colleague" in notice.text


def test_moderator_edit_from_the_queue_keeps_the_opening_posts_title_in_the_revision(
    thread, moderator
):
    opening = thread.posts.get()
    PostKind().perform(
        actor=moderator,
        item=opening,
        action="edit",
        data={"body": "Tidied.", "reason": "Removed a name"},
    )
    revision = PostRevision.objects.get(post=opening)
    assert revision.title == "How do we make reverse mentoring stick?"
    assert revision.body == "We started reverse mentoring for our board last year."
    assert revision.reason == "Removed a name" and revision.edited_by == moderator


def test_moderator_edit_from_the_queue_needs_the_moderator_role_even_on_their_own_post(
    thread, member
):
    with pytest.raises(PermissionDenied):
        PostKind().perform(
            actor=member,
            item=thread.posts.get(),
            action="edit",
            data={"body": "Mine anyway", "reason": "x"},
        )
    assert not PostRevision.objects.exists()


def test_a_deleted_post_cannot_be_edited_even_by_a_moderator(login, thread, reply, moderator):
    services.delete_post(actor=moderator, post=reply, reason="Spam")
    client = login(moderator)
    assert post_url(reply, "edit/") not in client.get(thread_url(thread)).content.decode()
    response = client.post(post_url(reply, "edit/"), {"body": "Revived", "reason": "Oops"})
    assert response.status_code == 403
    with pytest.raises(ValidationError, match="deleted"):
        services.edit_post(actor=moderator, post=reply, body="Revived", reason="x", moderating=True)
    reply.refresh_from_db()
    assert reply.body == "Something a peer flags." and not PostRevision.objects.exists()


def test_moderator_delete_on_the_thread_page_needs_a_reason_and_is_audited(
    login, thread, reply, other_member, moderator
):
    client = login(moderator)
    page = client.get(post_url(reply, "delete/"))
    assert "Reason for deleting" in page.content.decode()
    refused = client.post(post_url(reply, "delete/"), {"reason": ""})
    assert refused.status_code == 200 and "Give a reason" in refused.content.decode()
    reply.refresh_from_db()
    assert not reply.is_deleted and not AuditEntry.objects.exists()
    done = client.post(post_url(reply, "delete/"), {"reason": "Shared a patient's details"})
    assert done.status_code == 302
    reply.refresh_from_db()
    assert reply.is_deleted
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.reason) == ("post.delete", "Shared a patient's details")
    notice = Notification.objects.get(recipient=other_member, kind="moderation")
    assert "deleted by a moderator: Shared a patient's details" in notice.text


def test_author_delete_page_asks_no_reason(login, reply, other_member):
    client = login(other_member)
    assert "Reason for deleting" not in client.get(post_url(reply, "delete/")).content.decode()
    assert client.post(post_url(reply, "delete/")).status_code == 302
    reply.refresh_from_db()
    assert reply.is_deleted


def test_a_flag_word_added_by_an_authors_edit_raises_an_automatic_flag(thread, reply, other_member):
    WatchedWord.objects.create(space=thread.space, word="lottery", action=WatchedWord.Action.FLAG)
    assert services.edit_post(actor=other_member, post=reply, body="Win the lottery!") is True
    flag = Flag.objects.get()
    assert flag.flagger is None and flag.target_id == reply.pk and flag.kind == "post"


def test_a_block_word_in_an_authors_edit_is_refused_and_nothing_changes(
    thread, reply, other_member
):
    WatchedWord.objects.create(space=thread.space, word="slur", action=WatchedWord.Action.BLOCK)
    with pytest.raises(ValidationError) as refused:
        services.edit_post(actor=other_member, post=reply, body="a slur")
    assert "body" in refused.value.message_dict
    reply.refresh_from_db()
    assert reply.body == "Something a peer flags." and not PostRevision.objects.exists()


def test_moderators_are_not_held_by_watched_words_when_they_edit(thread, reply, moderator):
    WatchedWord.objects.create(space=thread.space, word="slur", action=WatchedWord.Action.BLOCK)
    services.edit_post(actor=moderator, post=reply, body="quoting the slur", reason="Context")
    reply.refresh_from_db()
    assert reply.body == "quoting the slur"


def test_an_authors_own_edit_keeps_a_revision_but_is_not_audited(thread, reply, other_member):
    services.edit_post(actor=other_member, post=reply, body="Second thoughts")
    assert PostRevision.objects.get(post=reply).edited_by == other_member
    assert not AuditEntry.objects.exists()
    assert not Notification.objects.filter(kind="moderation").exists()
