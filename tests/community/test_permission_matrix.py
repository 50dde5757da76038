"""Who may do what in community core: one row per action, one column per role.

Each cell calls community core's own policy check or service (the pages and sockets translate
the same answers: ``404`` is Http404, an item that must look missing; ``403`` PermissionDenied,
with a sentence the person understands). An anonymous visitor gets the policy's answer; the
pages send them to sign in first. Every refusal leaves the database as it was.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from community import policy, sanctions, services
from community.models import AuditEntry, GuidelinesVersion, Invitation, Membership, Space
from tests.conftest import make_member, make_user

OK, DENIED, MISSING = "ok", "403", "404"

ROLES = (
    "anonymous",
    "outsider",
    "pending",
    "member",
    "banned",
    "moderator",
    "other_moderator",
    "staff",
)


def row(default: str, **per_role: str) -> dict[str, str]:
    """An action's outcomes: ``default`` for every role but those named."""
    return {role: per_role.get(role, default) for role in ROLES}


# The space is listed and takes join requests, so everyone signed in can see its page.
MATRIX: dict[str, dict[str, str]] = {
    "see_space_page": row(OK, anonymous=MISSING),
    "read_inside": row(MISSING, member=OK, moderator=OK, staff=OK),
    "join": row(DENIED, anonymous=MISSING, outsider=OK, other_moderator=OK, staff=OK),
    "leave": row(DENIED, anonymous=MISSING, pending=OK, member=OK, moderator=OK),
    "approve_request": row(DENIED, anonymous=MISSING, moderator=OK, staff=OK),
    "change_roles": row(DENIED, anonymous=MISSING, moderator=OK, staff=OK),
    "change_a_staff_accounts_roles": row(DENIED, anonymous=MISSING, staff=OK),
    "remove_member": row(MISSING, member=DENIED, moderator=OK, staff=OK),
    "ban_member": row(MISSING, member=DENIED, moderator=OK, staff=OK),
    "ban_a_staff_account": row(MISSING, member=DENIED, moderator=DENIED, staff=OK),
    "edit_guidelines": row(DENIED, anonymous=MISSING, moderator=OK, staff=OK),
    "invite_to_space": row(DENIED, anonymous=MISSING, moderator=OK, staff=OK),
    "invite_to_site": row(DENIED, staff=OK),
    "edit_space_settings": row(DENIED, anonymous=MISSING, moderator=OK, staff=OK),
    "create_space": row(DENIED, staff=OK),
}


@pytest.fixture
def world(make_space):
    space = make_space("Matrix space", listed=True, join_policy="request")
    elsewhere = make_space("Elsewhere")
    staff_member = make_user("Stella Staffmoderator", staff=True)
    Membership.objects.create(user=staff_member, space=space, is_moderator=True)
    return {
        "space": space,
        "requester": make_member(space, "Rae Requester", status=Membership.Status.PENDING),
        "target": make_member(space, "Tariq Target"),
        "staff_member": staff_member,
        "users": {
            "anonymous": AnonymousUser(),
            "outsider": make_user("Oliver Outsider"),
            "pending": make_member(space, "Pat Pending", status=Membership.Status.PENDING),
            "member": make_member(space, "Mel Member"),
            "banned": make_member(space, "Ben Banned", status=Membership.Status.BANNED),
            "moderator": make_member(space, "Maya Moderator", is_moderator=True),
            "other_moderator": make_member(elsewhere, "Omar Othermod", is_moderator=True),
            "staff": make_user("Sam Staff", staff=True),
        },
    }


def _membership(w, key: str) -> Membership:
    return Membership.objects.get(user=w[key], space=w["space"])


ACTIONS = {
    "see_space_page": lambda a, w: policy.check_see_space(a, w["space"]),
    "read_inside": lambda a, w: policy.check_read_space(a, w["space"]),
    "join": lambda a, w: services.join_space(actor=a, space=w["space"], message="Hello"),
    "leave": lambda a, w: services.leave_space(actor=a, space=w["space"]),
    "approve_request": lambda a, w: services.approve_request(
        actor=a, membership=_membership(w, "requester")
    ),
    "change_roles": lambda a, w: services.set_roles(
        actor=a, membership=_membership(w, "target"), moderator=False, facilitator=True
    ),
    "change_a_staff_accounts_roles": lambda a, w: services.set_roles(
        actor=a, membership=_membership(w, "staff_member"), moderator=False, facilitator=False
    ),
    "remove_member": lambda a, w: sanctions.remove_member(
        actor=a, space=w["space"], member=w["target"], reason="Matrix"
    ),
    "ban_member": lambda a, w: sanctions.ban_member(
        actor=a, space=w["space"], member=w["target"], reason="Matrix"
    ),
    "ban_a_staff_account": lambda a, w: sanctions.ban_member(
        actor=a, space=w["space"], member=w["staff_member"], reason="Matrix"
    ),
    "edit_guidelines": lambda a, w: services.publish_guidelines(
        actor=a, space=w["space"], body="Be kind, and keep confidences."
    ),
    "invite_to_space": lambda a, w: services.create_invitation(actor=a, space=w["space"]),
    "invite_to_site": lambda a, w: services.create_invitation(actor=a, space=None),
    "edit_space_settings": lambda a, w: services.update_space_settings(
        actor=a, space=w["space"], data={"summary": "A changed summary."}
    ),
    "create_space": lambda a, w: services.create_space(
        actor=a,
        data={"name": "A new space", "slug": "a-new-space", "summary": "New."},
        guidelines="Be kind.",
    ),
}

CASES = [
    pytest.param(role, action, MATRIX[action][role], id=f"{action}-{role}")
    for action in ACTIONS
    for role in ROLES
]


def test_the_matrix_covers_every_action():
    assert set(MATRIX) == set(ACTIONS)


def _state() -> tuple:
    return (
        sorted(
            Membership.objects.values_list(
                "user_id", "space_id", "status", "is_moderator", "is_facilitator", "ban_reason"
            )
        ),
        sorted(Space.objects.values_list("pk", "summary")),
        Invitation.objects.count(),
        GuidelinesVersion.objects.count(),
        AuditEntry.objects.count(),
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_permission_matrix(world, role, action, expected):
    actor = world["users"][role]
    call = ACTIONS[action]
    if expected == OK:
        result = call(actor, world)
        assert result is not False, "an allowed action must do what it says"
        return
    before = _state()
    with pytest.raises(PermissionDenied if expected == DENIED else Http404):
        call(actor, world)
    assert _state() == before, "a refusal must change nothing"
