"""The data export holds everything about the member (sanctions and their reasons, join
requests, sign-in sessions, live upvotes, the original text of posts a moderator edited) and
nothing about anyone else (not the addresses they invited)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from community.models import Invitation, Membership

pytestmark = pytest.mark.django_db


def export(client: Client) -> dict:
    response = client.get(reverse("account_export"))
    assert response.status_code == 200
    return json.loads(response.content)


def test_ban_and_mute_reasons_are_in_the_export(login, member, space, other_space):
    Membership.objects.filter(user=member, space=space).update(
        muted_until=timezone.now() + timedelta(days=1), mute_reason="Cooling off after a row"
    )
    Membership.objects.create(
        user=member,
        space=other_space,
        status=Membership.Status.BANNED,
        ban_reason="Repeated personal attacks",
    )
    memberships = {m["space"]: m for m in export(login(member))["memberships"]}
    assert memberships[space.name]["mute_reason"] == "Cooling off after a row"
    assert memberships[other_space.name]["ban_reason"] == "Repeated personal attacks"


def test_suspension_reason_is_in_the_export(login, suspended_member):
    profile = export(login(suspended_member))["profile"]
    assert profile["suspension_reason"] == "Breach of confidentiality"


def test_join_request_message_is_in_the_export(login, space, make_space):
    from ..conftest import make_user

    requester = make_user("Rita Request")
    cohort = make_space("Board cohort", join_policy="request")
    Membership.objects.create(
        user=requester,
        space=cohort,
        status=Membership.Status.PENDING,
        request_message="I chair our trust's race equality network.",
    )
    memberships = export(login(requester))["memberships"]
    assert memberships == [
        {
            **memberships[0],
            "space": cohort.name,
            "status": "pending",
            "request_message": "I chair our trust's race equality network.",
        }
    ]


def test_sign_in_sessions_with_address_and_browser_are_in_the_export(member):
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (Trust laptop)", REMOTE_ADDR="192.0.2.44")
    response = client.post(
        reverse("account_login"), {"login": member.email, "password": "pw-for-tests-123"}
    )
    assert response.status_code == 302
    sessions = export(client)["sessions"]
    assert len(sessions) == 1
    assert sessions[0]["ip"] == "192.0.2.44"
    assert sessions[0]["user_agent"] == "Mozilla/5.0 (Trust laptop)"
    assert sessions[0]["created_at"] and sessions[0]["last_seen_at"]
    assert client.cookies["sessionid"].value not in json.dumps(sessions)  # never the key


def test_question_upvotes_are_in_the_export(login, member, other_member, facilitator, space):
    from realtime import services
    from tests.realtime.conftest import make_session

    session = make_session(space, facilitator)
    question, _ = services.ask_question(
        actor=other_member,
        session=session,
        body="Olu's own question text",
        client_msg_id="q1",
        anonymous=True,
    )
    services.upvote_question(actor=member, session=session, seq=question.seq)
    data = export(login(member))
    upvotes = data["live_question_upvotes"]
    assert [(u["session"], u["question_seq"]) for u in upvotes] == [(session.title, question.seq)]
    assert upvotes[0]["created"]
    # The question is someone else's words: only which one, not what it said or who asked.
    assert "Olu's own question text" not in json.dumps(data)
    assert other_member.display_name not in json.dumps(data)


def test_the_original_text_of_a_post_a_moderator_edited_is_in_the_export(
    login, member, moderator, thread
):
    from threads.services import edit_post

    opening = thread.posts.get(is_opening=True)
    original = opening.body
    edit_post(
        actor=moderator, post=opening, body="[Edited by a moderator]", reason="Named a patient"
    )
    post = next(p for p in export(login(member))["posts"] if p["id"] == opening.pk)
    assert post["body"] == "[Edited by a moderator]"
    assert [(r["body"], r["edited_by_moderator"], r["reason"]) for r in post["revisions"]] == [
        (original, True, "Named a patient")
    ]
    assert moderator.display_name not in json.dumps(post)


def test_invitees_addresses_are_not_in_the_export(login, moderator, space):
    Invitation.objects.create(space=space, created_by=moderator, email="invitee@charity.org")
    data = export(login(moderator))
    assert "invitee@charity.org" not in json.dumps(data)
    invitations = data["invitations_sent"]
    assert len(invitations) == 1
    assert invitations[0]["space"] == space.name
    assert invitations[0]["for_one_address"] is True
