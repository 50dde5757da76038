"""Moderator notes on members: private to the space's moderators and staff, shown in the queue
beside the member's items, on the notes page and on the member's profile; audited."""

from __future__ import annotations

import pytest

from community.models import AuditEntry, Membership
from community.site import account_data
from moderation.models import ModeratorNote
from moderation.services import add_moderator_note, flag_post
from tests.conftest import make_member

from .conftest import make_post, make_thread


def _url(space, member) -> str:
    return f"/moderation/spaces/{space.slug}/members/{member.pk}/notes/"


def test_moderator_writes_a_note_shown_with_who_and_when_and_audited(
    space, moderator, member, login
):
    client = login(moderator)
    response = client.post(_url(space, member), {"body": "Second warning about tone."})
    assert response.status_code == 302
    note = ModeratorNote.objects.get()
    assert (note.author, note.member, note.space) == (moderator, member, space)
    entry = AuditEntry.objects.get()
    assert entry.action == "note.add" and entry.target_id == member.pk
    html = client.get(_url(space, member)).content.decode()
    assert "Second warning about tone." in html and "Maya Moderator" in html
    assert note.created_at.strftime("%Y") in html


def test_note_is_shown_in_the_queue_beside_the_members_flagged_post(
    space, moderator, member, other_member, login
):
    post = make_post(make_thread(space, member), member, body="Something sharp")
    flag_post(actor=other_member, post=post, reason="personal_attack")
    add_moderator_note(actor=moderator, space=space, member=member, body="Talked to them in May.")
    html = login(moderator).get("/moderation/").content.decode()
    assert "Moderator notes on" in html and "Talked to them in May." in html


def test_note_is_shown_on_the_profile_only_to_those_allowed(
    space, other_space, moderator, other_moderator, member, other_member, staff, login
):
    Membership.objects.create(user=member, space=other_space)
    add_moderator_note(actor=moderator, space=space, member=member, body="Private context.")
    profile = f"/members/{member.pk}/"
    assert "Private context." in login(moderator).get(profile).content.decode()
    assert "Private context." in login(staff).get(profile).content.decode()
    for viewer in (other_moderator, other_member, member):
        response = login(viewer).get(profile)
        assert "Private context." not in response.content.decode()
        assert "Moderator notes" not in response.content.decode()


def test_members_page_links_moderators_to_the_notes(space, moderator, member, login):
    html = login(moderator).get(f"/spaces/{space.slug}/members/").content.decode()
    assert _url(space, member) in html


@pytest.mark.parametrize(
    ("body", "message"),
    [("", "Write the note first."), ("x" * 2001, "Keep the note under 2,000 characters.")],
)
def test_bad_note_is_refused_with_the_text_kept(space, moderator, member, login, body, message):
    response = login(moderator).post(_url(space, member), {"body": body})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html and body in html
    assert not ModeratorNote.objects.exists() and not AuditEntry.objects.exists()


def test_non_moderators_are_refused(space, member, other_member, other_moderator, outsider, login):
    second = make_member(space, "Second Moderator", is_moderator=True)
    add_moderator_note(actor=second, space=space, member=member, body="Hidden.")
    assert login(other_member).get(_url(space, member)).status_code == 403
    assert login(other_member).post(_url(space, member), {"body": "x"}).status_code == 403
    # Someone who cannot read the private space: it looks missing.
    assert login(other_moderator).get(_url(space, member)).status_code == 404
    assert login(outsider).post(_url(space, member), {"body": "x"}).status_code == 404
    assert ModeratorNote.objects.count() == 1


def test_moderator_cannot_read_or_write_notes_about_themselves(space, moderator, login):
    assert login(moderator).get(_url(space, moderator)).status_code == 404


def test_note_on_someone_not_in_the_space_is_404(space, moderator, outsider, login):
    assert login(moderator).get(_url(space, outsider)).status_code == 404


def test_erasure_deletes_notes_about_a_member_and_unsigns_those_they_wrote(
    space, moderator, member
):
    add_moderator_note(actor=moderator, space=space, member=member, body="About them.")
    written = add_moderator_note(
        actor=moderator, space=space, member=make_member(space), body="Kept."
    )
    account_data.erase_account(member)
    account_data.erase_account(moderator)
    assert list(ModeratorNote.objects.values_list("body", flat=True)) == ["Kept."]
    written.refresh_from_db()
    assert written.author is None
