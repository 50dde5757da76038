"""At the end of a live session facilitators propose up to five actions; attendees (registered,
or took part) adopt one as their own commitment, edited to fit. The facilitator sees a count of
adoptions and no names but those a member shared."""

import pytest
from django.core.exceptions import PermissionDenied

from realtime.models import LiveEvent, LiveSession, Presence
from tests.conftest import make_member
from threads.commitments import policy, services
from threads.commitments.models import ActionProposal, Commitment

from .conftest import form_data, make_ended_session, soon

pytestmark = pytest.mark.django_db


def actions_url(session) -> str:
    return f"/live/{session.pk}/actions/"


def adopt_url(proposal) -> str:
    return f"/live/{proposal.session_id}/actions/{proposal.pk}/adopt/"


def test_facilitator_proposes_actions_once_the_session_has_ended(login, facilitator, ended_session):
    response = login(facilitator).post(actions_url(ended_session), {"text": "Ask one colleague."})
    assert response.status_code == 302
    assert ActionProposal.objects.get().created_by == facilitator


def test_an_ended_room_links_its_actions_a_live_one_does_not(login, member, space, ended_session):
    client = login(member)
    page = client.get(f"/live/{ended_session.pk}/").content.decode()
    assert f'href="{actions_url(ended_session)}"' in page
    assert "Actions from this session" in page
    live = make_ended_session(space, status=LiveSession.Status.LIVE, title="Still going")
    assert "Actions from this session" not in client.get(f"/live/{live.pk}/").content.decode()


def test_proposing_before_the_session_ends_is_refused(login, space, facilitator):
    live = make_ended_session(space, facilitator, status=LiveSession.Status.LIVE)
    response = login(facilitator).post(actions_url(live), {"text": "Too early."})
    assert response.status_code == 403
    assert b"once the session has ended" in response.content
    assert b"Too early." in response.content
    assert not ActionProposal.objects.exists()


@pytest.mark.parametrize("role", ["member", "other_member"])
def test_a_participant_cannot_propose_actions(request, login, ended_session, role):
    response = login(request.getfixturevalue(role)).post(
        actions_url(ended_session), {"text": "Mine."}
    )
    assert response.status_code == 403
    assert not ActionProposal.objects.exists()


def test_up_to_five_actions_per_session(facilitator, ended_session):
    for n in range(5):
        services.propose_action(actor=facilitator, session=ended_session, text=f"Action {n}")
    with pytest.raises(PermissionDenied, match="up to 5"):
        services.propose_action(actor=facilitator, session=ended_session, text="Action 6")
    assert ActionProposal.objects.count() == 5


def test_an_empty_proposal_is_refused(login, facilitator, ended_session):
    response = login(facilitator).post(actions_url(ended_session), {"text": "  "})
    assert b"Write the action you propose." in response.content
    assert not ActionProposal.objects.exists()


def test_registered_attendee_adopts_a_proposal_edited_to_fit(login, attendee, proposal):
    client = login(attendee)
    page = client.get(adopt_url(proposal))
    assert page.status_code == 200
    assert proposal.text.encode() in page.content
    response = client.post(adopt_url(proposal), form_data(text="Ask two colleagues on my ward."))
    assert response.status_code == 302
    commitment = Commitment.objects.get()
    assert commitment.owner == attendee
    assert commitment.proposal == proposal
    assert commitment.source_session == proposal.session
    assert commitment.text == "Ask two colleagues on my ward."


@pytest.mark.parametrize("how", ["message", "presence"])
def test_a_member_who_took_part_counts_as_attending(space, ended_session, proposal, how):
    person = make_member(space, "Took Part")
    if how == "message":
        LiveEvent.objects.create(session=ended_session, seq=1, kind="message", author=person)
    else:
        Presence.objects.create(session=ended_session, user=person, channel_name="x.1")
    assert policy.has_attended(person, ended_session)
    assert policy.can_adopt(person, proposal)


def test_adopting_from_a_session_one_did_not_attend_is_refused_and_the_text_stays(
    login, other_member, proposal
):
    client = login(other_member)
    assert client.get(adopt_url(proposal)).status_code == 302
    response = client.post(adopt_url(proposal), form_data(text="My edited version."))
    assert response.status_code == 403
    assert b"took part in this session can adopt" in response.content
    assert b"My edited version." in response.content
    assert not Commitment.objects.exists()


def test_outsider_gets_404_for_the_actions_page(login, outsider, proposal):
    assert login(outsider).get(actions_url(proposal.session)).status_code == 404
    assert login(outsider).post(adopt_url(proposal), form_data()).status_code == 404
    assert not Commitment.objects.exists()


def test_facilitator_sees_a_count_and_only_the_names_members_shared(
    login, space, facilitator, attendee, proposal
):
    from realtime.models import Registration

    quiet = make_member(space, "Quinn Quiet")
    Registration.objects.create(session=proposal.session, user=quiet)
    services.adopt_proposal(
        actor=quiet, proposal=proposal, text="Private version.", due_on=soon(), area="allyship"
    )
    services.adopt_proposal(
        actor=attendee,
        proposal=proposal,
        text="Shared version.",
        due_on=soon(),
        area="allyship",
        visibility="space",
        space=space,
    )
    page = login(facilitator).get(actions_url(proposal.session))
    assert b"Adopted by 2 members" in page.content
    assert b"Shared version." in page.content
    assert b"Ade Attendee" in page.content
    assert b"Quinn Quiet" not in page.content
    assert b"Private version." not in page.content
