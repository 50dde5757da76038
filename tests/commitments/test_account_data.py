"""Commitments in the member's export; erased with the account (deleted when the member asked
for their words to be removed, otherwise kept as "Former member" with no more emails)."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from community.models import User
from community.site import account_data
from threads.commitments import services
from threads.commitments.models import ActionProposal, CaseStudy, Commitment, CommitmentUpdate

from .conftest import make_commitment

pytestmark = pytest.mark.django_db


def _erase(user, *, remove_content: bool) -> None:
    account_data.request_deletion(actor=user, remove_content=remove_content)
    User.objects.filter(pk=user.pk).update(deletion_requested_at=timezone.now() - timedelta(days=8))
    account_data.erase_due_accounts()


def test_export_holds_the_members_commitments_and_updates_and_no_one_elses(
    login, member, other_member, space
):
    mine = make_commitment(member, "My private promise.")
    services.add_update(actor=member, commitment=mine, happened="Started it.", learned="Slowly.")
    make_commitment(other_member, "Not mine.", visibility="space", space=space)
    response = login(member).get("/account/export/")
    data = json.loads(response.content)
    assert [c["text"] for c in data["commitments"]] == ["My private promise."]
    assert data["commitments"][0]["updates"][0]["what_happened"] == "Started it."
    assert data["commitments"][0]["updates"][0]["what_we_learned"] == "Slowly."
    assert "Not mine." not in response.content.decode()


def test_export_holds_case_study_sections_and_proposals(facilitator, space):
    from .conftest import make_ended_session

    session = make_ended_session(space, facilitator)
    services.propose_action(actor=facilitator, session=session, text="An action.")
    services.create_case_study(
        actor=facilitator,
        space=space,
        title="Case",
        summary="s",
        sections={"context": "Our context.", "actions": "a", "changed": "c", "did_not_work": "d"},
    )
    data = account_data.build_export(facilitator)
    assert data["action_proposals"][0]["text"] == "An action."
    assert data["case_studies"][0]["context"] == "Our context."


def test_erasure_with_words_removed_deletes_commitments_updates_and_sections(
    member, space, facilitator
):
    mine = make_commitment(member, "Gone.", visibility="space", space=space)
    services.add_update(actor=member, commitment=mine, happened="x")
    services.create_case_study(
        actor=member,
        space=space,
        title="Case",
        summary="s",
        sections={"context": "c", "actions": "a", "changed": "x", "did_not_work": "d"},
    )
    _erase(member, remove_content=True)
    assert not Commitment.objects.exists()
    assert not CommitmentUpdate.objects.exists()
    assert not CaseStudy.objects.exists()


def test_erasure_with_words_removed_deletes_proposals(facilitator, space):
    from .conftest import make_ended_session

    session = make_ended_session(space, facilitator)
    services.propose_action(actor=facilitator, session=session, text="An action.")
    _erase(facilitator, remove_content=True)
    assert not ActionProposal.objects.exists()


def test_erasure_otherwise_keeps_shared_commitments_as_former_member(
    login, member, other_member, space
):
    shared = make_commitment(member, "Kept.", visibility="space", space=space)
    _erase(member, remove_content=False)
    shared.refresh_from_db()
    assert shared.text == "Kept." and shared.reminders is False
    page = login(other_member).get(f"/commitments/{shared.pk}/")
    assert b"Former member" in page.content
    assert b"Mel Member" not in page.content
