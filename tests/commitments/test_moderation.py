"""A commitment shared with a space is a moderatable kind: a ``flag`` watched word raises an
automatic flag for the space's moderators, who review it in the queue and may stop it being
shared (the owner keeps it, private, and is told why)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from community.models import AuditAction, AuditEntry, Space
from moderation import registry
from moderation.models import Flag, FlagKind, WatchedWord
from threads.commitments import services
from threads.commitments.kinds import CommitmentKind
from threads.commitments.models import Commitment
from threads.models import Notification

from .conftest import make_commitment


@pytest.fixture
def flag_word(space):
    return WatchedWord.objects.create(space=space, word="flagword", action="flag")


def shared(owner, space, text="We will say flagword at the board.", **fields):
    return make_commitment(owner, text, visibility="space", space=space, **fields)


def open_flags(commitment):
    return Flag.objects.open().filter(kind=FlagKind.COMMITMENT, target_id=commitment.pk)


def test_the_commitment_kind_is_registered():
    kind = registry.kind_named("commitment")
    assert isinstance(kind, CommitmentKind)
    assert registry.kind_of(Commitment()) is kind
    assert not kind.hideable


def test_flag_word_in_a_shared_commitment_raises_one_automatic_flag(member, space, flag_word):
    commitment = shared(member, space)
    flag = open_flags(commitment).get()
    assert (flag.flagger, flag.space, flag.target_user) == (None, space, member)
    assert flag.details == "Contains a watched word."
    # Editing it with the word still there adds no second automatic flag.
    services.edit_commitment(
        actor=member,
        commitment=commitment,
        text="We will say flagword twice.",
        due_on=commitment.due_on,
        area=commitment.area,
        visibility="space",
        space=space,
    )
    assert open_flags(commitment).count() == 1


def test_flag_word_in_a_private_commitment_is_not_screened(member, space, flag_word):
    make_commitment(member, "My own flagword note.")
    assert not Flag.objects.exists()


def test_flag_word_added_by_an_edit_that_shares_it(member, space, flag_word):
    commitment = make_commitment(member, "My own flagword note.")
    services.edit_commitment(
        actor=member,
        commitment=commitment,
        text=commitment.text,
        due_on=commitment.due_on,
        area=commitment.area,
        visibility="space",
        space=space,
    )
    assert open_flags(commitment).count() == 1


def test_a_commitment_shared_with_everyone_is_flagged_in_its_action_areas_space(member):
    area = Space.objects.get(slug="allyship")
    WatchedWord.objects.create(space=None, word="flagword", action="flag")
    commitment = make_commitment(member, "Say flagword.", visibility="community")
    assert open_flags(commitment).get().space == area


def test_shared_with_everyone_without_an_area_space_raises_no_flag(member):
    Space.objects.filter(slug="allyship").delete()
    WatchedWord.objects.create(space=None, word="flagword", action="flag")
    make_commitment(member, "Say flagword.", visibility="community")
    assert not Flag.objects.exists()


def test_flags_left_behind_close_when_the_owner_stops_sharing(member, space, flag_word):
    commitment = shared(member, space)
    services.edit_commitment(
        actor=member,
        commitment=commitment,
        text=commitment.text,
        due_on=commitment.due_on,
        area=commitment.area,
        visibility="private",
    )
    assert not open_flags(commitment).exists()
    assert Flag.objects.get().status == Flag.Status.DISMISSED
    # The moderators' queue shows nothing of a private commitment.
    assert CommitmentKind().load_many([commitment.pk]) == {}


def test_erasing_the_owners_words_closes_the_flags(member, space, flag_word):
    commitment = shared(member, space)
    services.erase_member_content(user=member, remove_content=True)
    assert not Commitment.objects.filter(pk=commitment.pk).exists()
    assert not Flag.objects.open().exists()


def test_the_queue_shows_the_flagged_commitment_with_its_tools(
    login, member, moderator, space, flag_word
):
    commitment = shared(member, space, anonymous=True)
    page = login(moderator).get("/moderation/").content.decode()
    assert f'id="flagged-commitment-{commitment.pk}"' in page
    assert "We will say flagword at the board." in page
    assert "Anonymous to members" in page and member.display_name in page
    assert f"/moderation/commitment/{commitment.pk}/unshare/" in page
    assert f"/moderation/commitment/{commitment.pk}/dismiss/" in page
    assert "CommitmentKind" not in page  # the card's template comment stays a comment


def test_moderator_stops_sharing_it_the_owner_is_told_and_the_log_keeps_it(
    login, member, moderator, space, flag_word
):
    commitment = shared(member, space, anonymous=True)
    url = f"/moderation/commitment/{commitment.pk}/unshare/"
    client = login(moderator)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Names a colleague."})
    assert response.status_code == 302
    commitment.refresh_from_db()
    assert (commitment.visibility, commitment.space, commitment.anonymous) == (
        "private",
        None,
        False,
    )
    assert Flag.objects.get().status == Flag.Status.UPHELD
    entry = AuditEntry.objects.get(action=AuditAction.COMMITMENT_UNSHARE)
    assert (entry.actor, entry.space, entry.reason) == (moderator, space, "Names a colleague.")
    assert entry.target_label == f"Commitment #{commitment.pk}"
    notice = Notification.objects.get(recipient=member)
    assert "no longer shared with" in notice.text and "Names a colleague." in notice.text
    # Private now: the moderator no longer sees it, and a second try changes nothing.
    assert client.get(commitment.get_absolute_url()).status_code == 404
    assert client.post(url, {"reason": "Again"}).status_code == 404
    assert not services.unshare_commitment(actor=moderator, commitment=commitment, reason="x")


def test_stop_sharing_needs_a_reason_and_a_moderator_of_the_space(
    member, other_member, moderator, other_moderator, space
):
    commitment = shared(member, space, text="Shared plainly.")
    with pytest.raises(ValidationError, match="reason"):
        services.unshare_commitment(actor=moderator, commitment=commitment, reason=" ")
    # A member of the space is refused; a moderator elsewhere does not see the space's items.
    for actor, refusal in ((other_member, PermissionDenied), (other_moderator, Http404)):
        with pytest.raises(refusal):
            services.unshare_commitment(actor=actor, commitment=commitment, reason="No")
    commitment.refresh_from_db()
    assert commitment.visibility == "space"
    assert not AuditEntry.objects.exists()


def test_moderator_dismisses_the_flag(login, member, moderator, space, flag_word):
    commitment = shared(member, space)
    response = login(moderator).post(
        f"/moderation/commitment/{commitment.pk}/dismiss/", {"reason": "Fine in context."}
    )
    assert response.status_code == 302
    assert not open_flags(commitment).exists()
    commitment.refresh_from_db()
    assert commitment.visibility == "space"
    assert AuditEntry.objects.filter(action=AuditAction.FLAG_DISMISS).count() == 1


def test_only_a_shared_commitment_its_reader_sees_can_be_flagged(
    member, other_member, outsider, space
):
    kind = CommitmentKind()
    commitment = shared(member, space, text="Shared plainly.")
    kind.check_flaggable_by(other_member, commitment)
    with pytest.raises(Http404):
        kind.check_flaggable_by(outsider, commitment)
    private = make_commitment(member, "Mine alone.")
    with pytest.raises(Http404):
        kind.check_flaggable_by(other_member, private)
    assert kind.space_of(private) is None
    assert kind.space_of(commitment) == space
