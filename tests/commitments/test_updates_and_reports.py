"""Updates: dated notes that move the status on; done and dropped need a closing note. A shared
commitment's update can be reported into the thread it came from as an ordinary reply, with
every rule of a reply; a refusal stores nothing."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community.models import GuidelinesVersion, Membership
from community.rendering import render_markdown
from threads.commitments import services
from threads.commitments.models import Commitment, CommitmentUpdate
from threads.models import Post, Thread

from .conftest import make_commitment

pytestmark = pytest.mark.django_db


def update_url(commitment) -> str:
    return f"/commitments/{commitment.pk}/updates/"


def test_owner_posts_an_update_and_moves_it_in_progress(login, member, commitment):
    response = login(member).post(
        update_url(commitment),
        {
            "happened": "Met the chair.",
            "learned": "Ask early.",
            "hard": "Diaries.",
            "status": "in-progress",
        },
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert commitment.status == "in-progress"
    update = CommitmentUpdate.objects.get()
    assert (update.happened, update.learned, update.hard) == (
        "Met the chair.",
        "Ask early.",
        "Diaries.",
    )
    assert update.status == "in-progress"
    page = login(member).get(f"/commitments/{commitment.pk}/")
    assert b"Met the chair." in page.content and b"What was hard" in page.content


@pytest.mark.parametrize(("status", "message"), [("done", "what changed"), ("dropped", "why not")])
def test_done_and_dropped_need_a_closing_note(login, member, commitment, status, message):
    response = login(member).post(
        update_url(commitment), {"happened": "It happened.", "status": status}
    )
    assert response.status_code == 400
    assert message.encode() in response.content.lower()
    assert b"It happened." in response.content
    commitment.refresh_from_db()
    assert commitment.status == "planned"
    assert not CommitmentUpdate.objects.exists()


def test_done_with_a_closing_note_closes_it(member, commitment):
    services.add_update(
        actor=member,
        commitment=commitment,
        happened="Board agreed.",
        status="done",
        closing_note="Every executive has a mentor.",
    )
    commitment.refresh_from_db()
    assert commitment.status == "done"
    assert commitment.closing_note == "Every executive has a mentor."
    assert commitment.closed_at is not None


def test_a_closed_commitment_cannot_change_status(member, commitment):
    services.add_update(
        actor=member,
        commitment=commitment,
        happened="x",
        status="dropped",
        closing_note="No budget.",
    )
    with pytest.raises(ValidationError, match="closed"):
        services.add_update(actor=member, commitment=commitment, happened="y", status="in-progress")
    assert CommitmentUpdate.objects.count() == 1


def test_an_update_needs_what_happened(login, member, commitment):
    response = login(member).post(update_url(commitment), {"happened": "  ", "learned": "Kept."})
    assert b"Say what happened." in response.content
    assert b"Kept." in response.content
    assert not CommitmentUpdate.objects.exists()


def test_an_update_to_someone_elses_commitment_is_refused_and_nothing_changes(
    login, other_member, shared_commitment
):
    response = login(other_member).post(
        update_url(shared_commitment),
        {"happened": "Not mine.", "status": "done", "closing_note": "x"},
    )
    assert response.status_code == 403
    assert b"You can only change your own commitments." in response.content
    shared_commitment.refresh_from_db()
    assert shared_commitment.status == "planned"
    assert not CommitmentUpdate.objects.exists()
    with pytest.raises(PermissionDenied):
        services.add_update(actor=other_member, commitment=shared_commitment, happened="x")


def test_an_update_to_a_commitment_one_cannot_see_is_404(login, other_member, commitment):
    response = login(other_member).post(update_url(commitment), {"happened": "Hello."})
    assert response.status_code == 404
    assert not CommitmentUpdate.objects.exists()


def test_update_reported_into_its_thread_is_a_normal_reply_saying_it_is_a_report(
    login, member, other_member, shared_commitment, thread
):
    response = login(member).post(
        update_url(shared_commitment),
        {"happened": "Two executives started.", "status": "in-progress", "report": "on"},
    )
    assert response.status_code == 302
    update = CommitmentUpdate.objects.get()
    post = update.report_post
    assert post.thread == thread and post.author == member and not post.anonymous
    assert post.is_published and not post.is_opening
    assert "Report on a commitment" in post.body
    assert f"/commitments/{shared_commitment.pk}/" in post.body_html
    assert "Two executives started." in post.body
    thread.refresh_from_db()
    assert thread.post_count == 2
    # Followers of the thread are told, as for any reply.
    assert other_member.notifications.count() == 0  # not following
    page = login(other_member).get(thread.get_absolute_url())
    assert b"Report on a commitment" in page.content


def test_report_of_an_anonymous_share_is_an_anonymous_reply(member, space, thread):
    shared = make_commitment(
        member,
        "Quiet promise.",
        visibility="space",
        space=space,
        anonymous=True,
        source_thread=thread,
    )
    update = services.add_update(actor=member, commitment=shared, happened="Done it.", report=True)
    assert update.report_post.anonymous


def test_private_commitment_cannot_report(member, thread):
    private = make_commitment(member, source_thread=thread)
    with pytest.raises(PermissionDenied, match="Share this commitment"):
        services.add_update(actor=member, commitment=private, happened="x", report=True)
    assert not CommitmentUpdate.objects.exists()
    assert Post.objects.filter(thread=thread).count() == 1


def test_report_from_a_commitment_shared_with_another_space_is_refused(member, other_space, thread):
    from tests.conftest import accept_all_guidelines

    Membership.objects.create(user=member, space=other_space)
    accept_all_guidelines(member, other_space)
    elsewhere = make_commitment(
        member, "Elsewhere.", visibility="space", space=other_space, source_thread=thread
    )
    with pytest.raises(PermissionDenied, match="Share this commitment"):
        services.add_update(actor=member, commitment=elsewhere, happened="x", report=True)
    assert Post.objects.filter(thread=thread).count() == 1


def test_muted_member_report_is_refused_and_nothing_is_stored(
    login, member, shared_commitment, thread
):
    Membership.objects.filter(user=member, space=thread.space).update(
        muted_until=timezone.now() + timedelta(hours=1), mute_reason="Cooling off"
    )
    response = login(member).post(
        update_url(shared_commitment),
        {"happened": "Kept text.", "status": "in-progress", "report": "on"},
    )
    assert response.status_code == 400
    assert b"muted" in response.content
    assert b"Kept text." in response.content
    shared_commitment.refresh_from_db()
    assert shared_commitment.status == "planned"
    assert not CommitmentUpdate.objects.exists()
    assert Post.objects.filter(thread=thread).count() == 1


def test_report_into_a_locked_thread_is_refused(member, shared_commitment, thread):
    Thread.objects.filter(pk=thread.pk).update(is_locked=True)
    with pytest.raises(PermissionDenied, match="locked"):
        services.add_update(actor=member, commitment=shared_commitment, happened="x", report=True)
    assert not CommitmentUpdate.objects.exists()


def test_report_with_a_blocked_word_is_refused(login, member, shared_commitment, thread):
    from moderation.models import WatchedWord

    WatchedWord.objects.create(space=thread.space, word="forbiddenword", action="block")
    response = login(member).post(
        update_url(shared_commitment), {"happened": "We said forbiddenword.", "report": "on"}
    )
    assert b"forbiddenword" in response.content and b"not allowed" in response.content
    assert not CommitmentUpdate.objects.exists()
    assert Post.objects.filter(thread=thread).count() == 1


def test_report_waits_for_new_space_guidelines(login, member, shared_commitment, thread):
    body = "New rules."
    GuidelinesVersion.objects.create(
        space=thread.space, version=2, body=body, body_html=render_markdown(body)
    )
    response = login(member).post(
        update_url(shared_commitment), {"happened": "Kept text.", "report": "on"}
    )
    assert response.status_code == 400
    assert b"guidelines" in response.content
    assert b"Kept text." in response.content
    assert not CommitmentUpdate.objects.exists()


def test_update_without_report_posts_nothing_in_the_thread(member, shared_commitment, thread):
    services.add_update(actor=member, commitment=shared_commitment, happened="Quietly.")
    assert Post.objects.filter(thread=thread).count() == 1


def test_report_option_is_offered_only_when_it_can_be_made(
    login, member, shared_commitment, commitment
):
    assert b'name="report"' in login(member).get(f"/commitments/{shared_commitment.pk}/").content
    assert b'name="report"' not in login(member).get(f"/commitments/{commitment.pk}/").content


def test_owner_turns_reminders_off_and_on(login, member, commitment):
    client = login(member)
    client.post(f"/commitments/{commitment.pk}/reminders/")
    commitment.refresh_from_db()
    assert commitment.reminders is False
    client.post(f"/commitments/{commitment.pk}/reminders/", {"reminders": "on"})
    commitment.refresh_from_db()
    assert commitment.reminders is True


def test_someone_else_cannot_turn_reminders_off(login, other_member, shared_commitment):
    response = login(other_member).post(f"/commitments/{shared_commitment.pk}/reminders/")
    assert response.status_code == 403
    assert Commitment.objects.get(pk=shared_commitment.pk).reminders is True
