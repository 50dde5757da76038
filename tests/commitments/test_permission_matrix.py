"""Who may do what with commitments: one row per role, one column per action.

``ok`` the service does it; ``403`` PermissionDenied with a reason; ``404`` Http404 (the actor
may not know it exists). Every refusal leaves the database as it was.
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from moderation import services as moderation_services
from moderation.models import Flag, WatchedWord
from threads.commitments import policy, services
from threads.commitments.models import ActionProposal, CaseStudy, Commitment, CommitmentUpdate
from threads.models import Thread

from .conftest import make_commitment, make_ended_session, soon

OK, DENIED, MISSING = "ok", "403", "404"

ACTIONS = {
    "see_private": lambda a, t: policy.check_see_commitment(a, t["private"]),
    "see_shared": lambda a, t: policy.check_see_commitment(a, t["shared"]),
    "update_shared": lambda a, t: services.add_update(
        actor=a, commitment=t["shared"], happened="An update."
    ),
    "edit_shared": lambda a, t: services.edit_commitment(
        actor=a, commitment=t["shared"], text="Edited", due_on=soon(), area="allyship"
    ),
    "make_private": lambda a, t: make_commitment(a, "My own."),
    "share_to_space": lambda a, t: make_commitment(
        a, "For the space.", visibility="space", space=t["space"]
    ),
    "propose_action": lambda a, t: services.propose_action(
        actor=a, session=t["session"], text="An action."
    ),
    "adopt_action": lambda a, t: services.adopt_proposal(
        actor=a, proposal=t["proposal"], text="Mine now.", due_on=soon(), area="allyship"
    ),
    "flag_shared": lambda a, t: moderation_services.flag_item(
        actor=a, target=t["shared"], reason="other"
    ),
    "approve_held": lambda a, t: services.approve_commitment(actor=a, commitment=t["held"]),
    "edit_case_study": lambda a, t: services.edit_case_study(
        actor=a,
        case_study=t["case_study"],
        title="A case, revised",
        summary="Summary, revised.",
        sections={"context": "c2", "actions": "a", "changed": "x", "did_not_work": "d"},
        reason="Tidying the wording.",
    ),
    "write_case_study": lambda a, t: services.create_case_study(
        actor=a,
        space=t["space"],
        title="A case",
        summary="Summary.",
        sections={"context": "c", "actions": "a", "changed": "x", "did_not_work": "d"},
    ),
}

# Staff, like anyone posting in a space, accept its guidelines first: here they have not.
MATRIX = {
    #                  private  shared  update  edit    own  share   propose adopt   flag    approve  editcs  case
    "member":         (OK,      OK,     OK,     OK,     OK,  OK,     DENIED, DENIED, DENIED, DENIED,  OK,     OK),
    "other_member":   (MISSING, OK,     DENIED, DENIED, OK,  OK,     DENIED, DENIED, OK,     MISSING, DENIED, OK),
    "attendee":       (MISSING, OK,     DENIED, DENIED, OK,  OK,     DENIED, OK,     OK,     MISSING, DENIED, OK),
    "moderator":      (MISSING, OK,     DENIED, DENIED, OK,  OK,     OK,     DENIED, OK,     OK,      OK,     OK),
    "facilitator":    (MISSING, OK,     DENIED, DENIED, OK,  OK,     OK,     OK,     OK,     MISSING, DENIED, OK),
    "staff":          (MISSING, OK,     DENIED, DENIED, OK,  DENIED, OK,     DENIED, OK,     OK,      OK,     DENIED),
    "muted_member":   (MISSING, OK,     DENIED, DENIED, OK,  DENIED, DENIED, DENIED, DENIED, MISSING, DENIED, DENIED),
    "suspended_member": (MISSING, OK,   DENIED, DENIED, OK,  DENIED, DENIED, DENIED, DENIED, MISSING, DENIED, DENIED),
    "pending_member": (MISSING, MISSING, MISSING, MISSING, OK, DENIED, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING),
    "banned_member":  (MISSING, MISSING, MISSING, MISSING, OK, DENIED, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING),
    "outsider":       (MISSING, MISSING, MISSING, MISSING, OK, DENIED, MISSING, MISSING, MISSING, MISSING, MISSING, MISSING),
}  # fmt: skip

CASES = [
    pytest.param(role, action, outcomes[i], id=f"{role}-{action}")
    for role, outcomes in MATRIX.items()
    for i, action in enumerate(ACTIONS)
]


@pytest.fixture
def attendee(space):
    from tests.conftest import make_member

    return make_member(space, "Ade Attendee")


@pytest.fixture
def world(space, member, attendee, facilitator, thread):
    from realtime.models import Registration

    session = make_ended_session(space, facilitator)
    Registration.objects.create(session=session, user=attendee)
    proposal = ActionProposal.objects.create(
        session=session, text="Proposed.", created_by=facilitator
    )
    WatchedWord.objects.create(space=space, word="holdword", action="require_approval")
    held = make_commitment(member, "Held holdword.", visibility="space", space=space)
    return {
        "owner": member,
        "space": space,
        "private": make_commitment(member, "Private one."),
        "shared": make_commitment(
            member, "Shared one.", visibility="space", space=space, source_thread=thread
        ),
        "held": held,
        "case_study": services.create_case_study(
            actor=member,
            space=space,
            title="Our case",
            summary="Summary.",
            sections={"context": "c", "actions": "a", "changed": "x", "did_not_work": "d"},
        ),
        "session": session,
        "proposal": proposal,
    }


def snapshot() -> tuple:
    return (
        list(Commitment.objects.order_by("pk").values_list("pk", "text", "status", "visibility")),
        CommitmentUpdate.objects.count(),
        ActionProposal.objects.count(),
        Thread.objects.count(),
        CaseStudy.objects.count(),
        list(CaseStudy.objects.values_list("context", "wres_indicator")),
        list(Commitment.objects.order_by("pk").values_list("is_pending", flat=True)),
        Flag.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_permission_matrix(request, world, role, action, expected):
    actor = request.getfixturevalue(role)
    call = ACTIONS[action]
    if expected == OK:
        call(actor, world)
        return
    before = snapshot()
    with pytest.raises(PermissionDenied if expected == DENIED else Http404):
        call(actor, world)
    assert snapshot() == before, "a refusal must change nothing"
