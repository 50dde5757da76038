"""Saved replies: per space, managed by its moderators, picked in the action forms to fill in
the reason for hiding, warning or answering a report."""

from __future__ import annotations

import pytest

from community.models import AuditEntry
from moderation.models import SavedReply
from moderation.services import add_saved_reply, flag_post

from .conftest import make_post, make_thread


@pytest.fixture
def reply(space, moderator):
    return add_saved_reply(
        actor=moderator, space=space, title="Personal attack", body="This attacks a member."
    )


def test_moderator_saves_a_reply_for_their_space_audited(space, moderator, login):
    client = login(moderator)
    response = client.post(
        "/moderation/replies/",
        {"space": space.slug, "title": "Spam", "body": "This is advertising."},
    )
    assert response.status_code == 302
    saved = SavedReply.objects.get()
    assert (saved.space, saved.title, saved.created_by) == (space, "Spam", moderator)
    assert AuditEntry.objects.get().action == "reply.add"
    assert "This is advertising." in client.get("/moderation/replies/").content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"title": "", "body": "Text"}, "Give the saved reply a name."),
        ({"title": "Name", "body": ""}, "Write the reply."),
        ({"title": "Name", "body": "x" * 501}, "Keep the reply under 500 characters."),
        ({"title": "x" * 81, "body": "Text"}, "Keep the name under 80 characters."),
        ({"title": "Personal attack", "body": "Again"}, "already has a saved reply with that name"),
    ],
)
def test_bad_saved_reply_is_refused_with_the_text_kept(
    space, moderator, login, reply, data, message
):
    response = login(moderator).post("/moderation/replies/", {"space": space.slug, **data})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert (data["body"] or data["title"]) in html
    assert SavedReply.objects.count() == 1 and AuditEntry.objects.count() == 1


def test_moderator_cannot_save_a_reply_for_another_space(other_space, moderator, login):
    response = login(moderator).post(
        "/moderation/replies/", {"space": other_space.slug, "title": "X", "body": "Y"}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not SavedReply.objects.exists()


def test_others_cannot_see_or_remove_a_spaces_replies(reply, other_moderator, member, login):
    assert (
        "This attacks a member."
        not in login(other_moderator).get("/moderation/replies/").content.decode()
    )
    assert login(other_moderator).post(f"/moderation/replies/{reply.pk}/remove/").status_code == 404
    assert login(member).get("/moderation/replies/").status_code == 403
    assert login(member).post(f"/moderation/replies/{reply.pk}/remove/").status_code == 404
    assert SavedReply.objects.filter(pk=reply.pk).exists()


def test_moderator_removes_a_saved_reply_audited(reply, moderator, login):
    login(moderator).post(f"/moderation/replies/{reply.pk}/remove/")
    assert not SavedReply.objects.exists()
    assert AuditEntry.objects.filter(action="reply.remove").exists()


def test_picking_a_saved_reply_fills_in_the_hide_reason(space, moderator, member, reply, login):
    post = make_post(make_thread(space, member), member)
    client = login(moderator)
    form = client.get(f"/moderation/post/{post.pk}/hide/")
    assert "Use a saved reply" in form.content.decode()
    filled = client.get(f"/moderation/post/{post.pk}/hide/?reply={reply.pk}")
    assert filled.context["form"].initial["reason"] == "This attacks a member."
    assert "This attacks a member.</textarea>" in filled.content.decode()


def test_saved_reply_fills_in_a_warning_and_a_dismissal(space, moderator, member, reply, login):
    client = login(moderator)
    warn = client.get(f"/moderation/spaces/{space.slug}/members/{member.pk}/warn/?reply={reply.pk}")
    assert warn.context["form"].initial["reason"] == "This attacks a member."
    post = make_post(make_thread(space, member), member)
    dismiss = client.get(f"/moderation/post/{post.pk}/dismiss/?reply={reply.pk}")
    assert dismiss.context["form"].initial["reason"] == "This attacks a member."


def test_another_spaces_saved_reply_is_not_offered_or_applied(
    space, other_space, moderator, other_moderator, member, login
):
    theirs = add_saved_reply(actor=other_moderator, space=other_space, title="T", body="Theirs")
    post = make_post(make_thread(space, member), member)
    response = login(moderator).get(f"/moderation/post/{post.pk}/hide/?reply={theirs.pk}")
    assert "reason" not in response.context["form"].initial
    assert "Theirs" not in response.content.decode()


def test_picking_a_saved_reply_fills_in_the_bulk_reason_in_the_queue(
    space, moderator, member, other_member, reply, login
):
    post = make_post(make_thread(space, member), member)
    flag_post(actor=other_member, post=post, reason="personal_attack")
    client = login(moderator)
    assert "Use a saved reply for the reason below" in client.get("/moderation/").content.decode()
    html = client.get(f"/moderation/?kind=flags&reply={reply.pk}").content.decode()
    assert ">This attacks a member.</textarea>" in html
