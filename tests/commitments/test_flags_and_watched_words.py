"""Members flag a shared commitment they can see (moderation's one flag view); watched words
apply to shared commitments and their updates as to posts in their moderation space: ``block``
refuses with the text kept, ``flag`` raises an automatic flag, ``require approval`` holds it (or
the update) so that only its owner sees it, as waiting, until a moderator approves it."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community.models import AuditAction, AuditEntry, Membership, Space
from moderation.models import Flag, FlagKind, WatchedWord
from tests.conftest import make_member
from threads.commitments import services
from threads.commitments.models import Commitment, CommitmentUpdate

from .conftest import make_commitment

pytestmark = pytest.mark.django_db


def flag_url(commitment) -> str:
    return f"/moderation/flag/commitment/{commitment.pk}/"


def page(commitment) -> str:
    return f"/commitments/{commitment.pk}/"


def flags_on(commitment):
    return Flag.objects.open().filter(kind=FlagKind.COMMITMENT, target_id=commitment.pk)


def share(owner, space, text="Start reverse mentoring for every executive.", **fields):
    return make_commitment(owner, text, visibility="space", space=space, **fields)


@pytest.fixture
def area_space(db):
    """The space of the commitments' action area (``allyship``, the fixtures' area; the five
    action areas' spaces are made by a migration)."""
    return Space.objects.get(slug="allyship")


def word(text: str, action: str, space=None) -> WatchedWord:
    return WatchedWord.objects.create(space=space, word=text, action=action)


# Flagging -------------------------------------------------------------------------------------


def test_a_member_who_sees_a_shared_commitment_flags_it_and_the_queue_shows_it(
    login, member, other_member, moderator, space
):
    commitment = share(member, space)
    detail = login(other_member).get(page(commitment))
    assert flag_url(commitment).encode() in detail.content
    assert login(other_member).get(flag_url(commitment)).status_code == 200
    response = login(other_member).post(
        flag_url(commitment), {"reason": "other", "details": "Names a colleague."}
    )
    assert response.status_code == 302
    flag = flags_on(commitment).get()
    assert (flag.flagger, flag.space, flag.target_user) == (other_member, space, member)
    queue = login(moderator).get("/moderation/")
    assert f"flagged-commitment-{commitment.pk}".encode() in queue.content or (
        commitment.title.encode() in queue.content
    )
    assert b"Names a colleague." in queue.content


def test_the_owner_cannot_flag_their_own_commitment_and_sees_no_link(login, member, space):
    commitment = share(member, space)
    assert flag_url(commitment).encode() not in login(member).get(page(commitment)).content
    response = login(member).post(flag_url(commitment), {"reason": "other"})
    assert response.status_code == 403
    assert not Flag.objects.exists()


def test_outsiders_non_members_and_the_anonymous_cannot_flag(
    login, member, outsider, other_moderator, space
):
    commitment = share(member, space)
    for user in (outsider, other_moderator):
        assert login(user).post(flag_url(commitment), {"reason": "other"}).status_code == 404
    assert login(None).post(flag_url(commitment), {"reason": "other"}).status_code in (302, 404)
    assert not Flag.objects.exists()


def test_a_private_commitment_cannot_be_flagged_by_anyone_else(login, member, other_member):
    commitment = make_commitment(member)
    assert login(other_member).post(flag_url(commitment), {"reason": "other"}).status_code == 404
    assert not Flag.objects.exists()


def test_a_muted_member_is_refused_and_shown_no_link(login, member, muted_member, space):
    commitment = share(member, space)
    assert flag_url(commitment).encode() not in login(muted_member).get(page(commitment)).content
    response = login(muted_member).post(flag_url(commitment), {"reason": "other"})
    assert response.status_code == 403
    assert not Flag.objects.exists()


def test_flag_form_bad_input_keeps_the_details_and_stores_nothing(
    login, member, other_member, space
):
    commitment = share(member, space)
    response = login(other_member).post(
        flag_url(commitment), {"reason": "not-a-reason", "details": "Kept text."}
    )
    assert response.status_code == 200
    assert b"Kept text." in response.content
    assert not Flag.objects.exists()
    too_long = login(other_member).post(
        flag_url(commitment), {"reason": "other", "details": "x" * 1001}
    )
    assert too_long.status_code == 200
    assert not Flag.objects.exists()


def test_a_commitment_shared_with_all_members_is_flagged_in_its_action_areas_space(
    login, member, area_space
):
    reader = make_member(area_space, "Ria Reader")
    commitment = make_commitment(member, "Open to everyone.", visibility="community")
    response = login(reader).post(flag_url(commitment), {"reason": "other"})
    assert response.status_code == 302
    assert flags_on(commitment).get().space == area_space


# Watched words: block ------------------------------------------------------------------------


def test_a_block_word_in_an_update_refuses_it_and_keeps_the_text(login, member, space):
    commitment = share(member, space)
    word("blockword", "block", space)
    response = login(member).post(
        f"/commitments/{commitment.pk}/updates/", {"happened": "We said blockword today."}
    )
    assert response.status_code == 400
    assert b"We said blockword today." in response.content
    assert b"watched words" in response.content
    assert not CommitmentUpdate.objects.exists()


def test_a_private_commitments_update_is_not_screened(member, space):
    commitment = make_commitment(member)
    word("blockword", "block")
    services.add_update(actor=member, commitment=commitment, happened="blockword in my notes")
    assert CommitmentUpdate.objects.count() == 1


def test_shared_with_all_members_the_global_and_the_area_spaces_words_apply(
    member, space, area_space
):
    word("areaword", "block", area_space)
    word("elsewhere", "block", space)
    with pytest.raises(ValidationError) as refused:
        make_commitment(member, "Say areaword.", visibility="community")
    assert "text" in refused.value.message_dict
    # Another space's words do not apply to a commitment shared with everyone.
    make_commitment(member, "Say elsewhere.", visibility="community")
    assert Commitment.objects.count() == 1


def test_sharing_a_private_commitment_screens_its_earlier_updates(member, space):
    commitment = make_commitment(member)
    services.add_update(actor=member, commitment=commitment, happened="blockword in my notes")
    word("blockword", "block", space)
    with pytest.raises(ValidationError):
        services.edit_commitment(
            actor=member,
            commitment=commitment,
            text=commitment.text,
            due_on=commitment.due_on,
            area=commitment.area,
            visibility="space",
            space=space,
        )
    commitment.refresh_from_db()
    assert commitment.visibility == "private"


# Watched words: flag -------------------------------------------------------------------------


def test_a_flag_word_in_an_update_raises_an_automatic_flag(member, space):
    commitment = share(member, space)
    word("flagword", "flag", space)
    services.add_update(actor=member, commitment=commitment, happened="It was flagword.")
    flag = flags_on(commitment).get()
    assert (flag.flagger, flag.space) == (None, space)
    assert CommitmentUpdate.objects.get().is_pending is False


# Watched words: require approval -------------------------------------------------------------


def test_a_held_commitment_is_its_owners_alone_until_a_moderator_approves_it(
    login, member, other_member, moderator, space
):
    word("holdword", "require_approval", space)
    commitment = share(member, space, "We will holdword the board.")
    assert commitment.is_pending
    assert login(other_member).get(page(commitment)).status_code == 404
    listed = login(other_member).get(f"/spaces/{space.slug}/commitments/")
    assert b"holdword" not in listed.content
    mine = login(member).get(page(commitment))
    assert mine.status_code == 200 and b"Waiting for a moderator" in mine.content
    queue = login(moderator).get("/moderation/")
    assert f"pending-commitment-{commitment.pk}".encode() in queue.content
    # Someone who is not a moderator of the space cannot approve it.
    approve = f"/moderation/commitment/{commitment.pk}/approve/"
    assert login(other_member).post(approve).status_code in (403, 404)
    commitment.refresh_from_db()
    assert commitment.is_pending
    assert login(moderator).post(approve).status_code == 302
    commitment.refresh_from_db()
    assert not commitment.is_pending
    assert login(other_member).get(page(commitment)).status_code == 200
    entry = AuditEntry.objects.get(action=AuditAction.COMMITMENT_APPROVE)
    assert (entry.actor, entry.space) == (moderator, space)
    assert (
        f"pending-commitment-{commitment.pk}".encode()
        not in login(moderator).get("/moderation/").content
    )


def test_an_edit_with_a_hold_word_holds_it_again(login, member, other_member, space):
    commitment = share(member, space)
    word("holdword", "require_approval", space)
    services.edit_commitment(
        actor=member,
        commitment=commitment,
        text="Now with holdword.",
        due_on=commitment.due_on,
        area=commitment.area,
        visibility="space",
        space=space,
    )
    commitment.refresh_from_db()
    assert commitment.is_pending
    assert login(other_member).get(page(commitment)).status_code == 404


def test_a_held_update_is_shown_to_its_owner_only_until_approved(
    login, member, other_member, moderator, space
):
    commitment = share(member, space)
    word("holdword", "require_approval", space)
    response = login(member).post(
        f"/commitments/{commitment.pk}/updates/", {"happened": "We holdword it."}
    )
    assert response.status_code == 302
    update = CommitmentUpdate.objects.get()
    assert update.is_pending
    assert b"We holdword it." not in login(other_member).get(page(commitment)).content
    mine = login(member).get(page(commitment)).content
    assert b"We holdword it." in mine and b"Waiting for a moderator" in mine
    queue = login(moderator).get("/moderation/")
    assert b"We holdword it." in queue.content
    login(moderator).post(f"/moderation/commitment/{commitment.pk}/approve/")
    assert b"We holdword it." in login(other_member).get(page(commitment)).content


def test_a_held_update_reported_into_the_thread_holds_the_report_too(
    member, other_member, space, thread
):
    commitment = share(member, space, source_thread=thread)
    word("holdword", "require_approval", space)
    update = services.add_update(
        actor=member, commitment=commitment, happened="We holdword it.", report=True
    )
    assert update.is_pending
    assert update.report_post is not None and not update.report_post.is_published


def test_a_held_update_is_refused_as_a_report_where_the_thread_would_publish_it(
    member, space, thread, area_space
):
    commitment = make_commitment(
        member, "Shared with everyone.", visibility="community", source_thread=thread
    )
    word("areahold", "require_approval", area_space)
    with pytest.raises(ValidationError) as refused:
        services.add_update(
            actor=member, commitment=commitment, happened="We areahold it.", report=True
        )
    assert "report" in refused.value.message_dict
    assert not CommitmentUpdate.objects.exists()
    assert not thread.posts.filter(body__contains="areahold").exists()


def test_a_global_hold_word_holds_a_commitment_shared_with_everyone(
    login, member, other_member, staff, area_space
):
    word("holdword", "require_approval")
    commitment = make_commitment(member, "We holdword.", visibility="community")
    assert commitment.is_pending
    assert login(other_member).get(page(commitment)).status_code == 404
    assert (
        f"pending-commitment-{commitment.pk}".encode() in login(staff).get("/moderation/").content
    )


def test_stopping_sharing_declines_a_held_commitment(login, member, moderator, space):
    word("holdword", "require_approval", space)
    commitment = share(member, space, "We will holdword.")
    response = login(moderator).post(
        f"/moderation/commitment/{commitment.pk}/unshare/", {"reason": "Names a colleague."}
    )
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.visibility, commitment.is_pending) == ("private", False)


def test_moderators_of_the_space_are_not_held(moderator, space):
    word("holdword", "require_approval", space)
    Membership.objects.filter(user=moderator, space=space).update(is_moderator=True)
    commitment = share(moderator, space, "We holdword.")
    assert not commitment.is_pending


def test_the_review_queue_of_held_commitments_runs_constant_queries(
    login, member, staff, space, django_assert_max_num_queries
):
    word("holdword", "require_approval")
    make_commitment(member, "We holdword 0.", visibility="community")
    share(member, space, "We holdword in the space.")
    client = login(staff)
    with django_assert_max_num_queries(60) as few:
        assert client.get("/moderation/").status_code == 200
    for number in range(6):
        make_commitment(member, f"We holdword {number}.", visibility="community")
        share(member, space, f"We holdword there {number}.")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/moderation/")
    assert page.content.count(b'id="pending-commitment-') == 14


def test_when_the_owner_stops_sharing_a_members_flag_closes_and_they_are_told_why(
    member, other_member, space
):
    from moderation import services as moderation_services
    from threads.models import Notification

    commitment = share(member, space)
    moderation_services.flag_item(actor=other_member, target=commitment, reason="other")
    services.edit_commitment(
        actor=member,
        commitment=commitment,
        text=commitment.text,
        due_on=commitment.due_on,
        area=commitment.area,
        visibility="private",
    )
    assert not flags_on(commitment).exists()
    notice = Notification.objects.get(recipient=other_member)
    assert "no longer shared" in notice.text and "reviewed" not in notice.text
    assert commitment.text not in notice.text


def test_a_held_commitment_cannot_be_reported_into_its_thread(login, member, space, thread):
    word("holdword", "require_approval", space)
    commitment = share(member, space, "We will holdword the board.", source_thread=thread)
    page = login(member).get(page_url := f"/commitments/{commitment.pk}/")
    assert b'name="report"' not in page.content
    response = login(member).post(
        f"{page_url}updates/", {"happened": "It went well.", "report": "on"}
    )
    assert response.status_code == 302
    update = CommitmentUpdate.objects.get()
    assert update.report_post is None
    with pytest.raises(PermissionDenied):
        services.add_update(actor=member, commitment=commitment, happened="Again.", report=True)
    assert not thread.posts.filter(body__contains="Report on a commitment").exists()


def test_a_held_report_is_not_on_another_members_home_page(
    login, member, other_member, space, thread
):
    commitment = share(member, space, source_thread=thread)
    word("holdword", "require_approval", space)
    services.add_update(actor=member, commitment=commitment, happened="We holdword.", report=True)
    assert commitment.title.encode() not in login(other_member).get("/").content
    services.add_update(actor=member, commitment=commitment, happened="Published.", report=True)
    assert commitment.title.encode() in login(other_member).get("/").content


def test_the_reviewers_see_a_held_commitment_on_its_page_but_not_in_lists(
    login, member, moderator, other_moderator, staff, space
):
    word("holdword", "require_approval", space)
    commitment = share(member, space, "We will holdword the board.")
    for reviewer in (moderator, staff):
        shown = login(reviewer).get(page(commitment))
        assert shown.status_code == 200 and b"Members do not see this commitment" in shown.content
        listed = login(reviewer).get(f"/spaces/{space.slug}/commitments/")
        assert b"holdword" not in listed.content
        assert (
            commitment.title
            not in login(reviewer).get("/search/", {"q": "holdword"}).content.decode()
        )
    assert login(other_moderator).get(page(commitment)).status_code == 404
