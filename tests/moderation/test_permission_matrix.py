"""Who may take each moderation action: one row per role, one column per action."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from community.models import Membership
from moderation import services
from moderation.models import AuditEntry
from tests.conftest import make_member

from .conftest import make_post, make_thread

OK, DENIED, MISSING = "ok", "403", "404"


@pytest.fixture
def suspended_moderator(space):
    user = make_member(space, "Sid Suspended-Mod", is_moderator=True)
    user.suspended_until = timezone.now() + timedelta(days=1)
    user.save()
    return user


@pytest.fixture
def target(space, other_space, member, other_member, moderator, other_moderator):
    thread = make_thread(space, member)
    # the moderator moderates the other space too, so a move has somewhere to go
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    return {
        "thread": thread,
        "post": make_post(thread, member, body="Under review"),
        "pending": make_post(thread, member, status="pending"),
        "member": other_member,
        "space": space,
        "other_space": other_space,
        "until": timezone.now() + timedelta(days=1),
    }


ACTIONS = {
    "approve": lambda a, t: services.approve_post(actor=a, post=t["pending"]),
    "hide": lambda a, t: services.hide_post(actor=a, post=t["post"], reason="Breach"),
    "delete": lambda a, t: services.delete_post(actor=a, post=t["post"], reason="Breach"),
    "edit": lambda a, t: services.edit_post(actor=a, post=t["post"], body="Tidied", reason="Name"),
    "lock": lambda a, t: services.lock_thread(actor=a, thread=t["thread"]),
    "pin": lambda a, t: services.pin_thread(actor=a, thread=t["thread"]),
    "hide_thread": lambda a, t: services.hide_thread(actor=a, thread=t["thread"], reason="Off"),
    "move": lambda a, t: services.move_thread(
        actor=a, thread=t["thread"], to_space=t["other_space"]
    ),
    "warn": lambda a, t: services.warn_member(
        actor=a, space=t["space"], member=t["member"], reason="Tone"
    ),
    "mute": lambda a, t: services.mute_member(
        actor=a, space=t["space"], member=t["member"], until=t["until"], reason="Tone"
    ),
    "ban": lambda a, t: services.ban_member(
        actor=a, space=t["space"], member=t["member"], reason="Abuse"
    ),
    "suspend": lambda a, t: services.suspend_member(
        actor=a, member=t["member"], until=t["until"], reason="Abuse"
    ),
}

SPACE_ACTIONS = [a for a in ACTIONS if a != "suspend"]

MATRIX = {
    # role: (outcome for space actions, outcome for suspend)
    "member": (DENIED, DENIED),
    "other_moderator": (MISSING, DENIED),
    "moderator": (OK, DENIED),
    "staff": (OK, OK),
    "suspended_member": (DENIED, DENIED),
    "suspended_moderator": (DENIED, DENIED),
    "outsider": (MISSING, DENIED),
}

CASES = [
    pytest.param(
        role, action, outcomes[1] if action == "suspend" else outcomes[0], id=f"{role}-{action}"
    )
    for role, outcomes in MATRIX.items()
    for action in ACTIONS
]


@pytest.mark.parametrize(("role", "action", "expected"), CASES)
def test_permission_matrix(request, target, role, action, expected):
    actor = request.getfixturevalue(role)
    call = ACTIONS[action]
    if expected == OK:
        assert call(actor, target) is True
        assert AuditEntry.objects.filter(actor=actor).exists()
        return
    exc = PermissionDenied if expected == DENIED else Http404
    with pytest.raises(exc):
        call(actor, target)
    assert not AuditEntry.objects.exists(), "a refusal must not write to the audit log"
    target["post"].refresh_from_db()
    target["thread"].refresh_from_db()
    assert target["post"].status == "published" and not target["post"].is_deleted
    assert target["post"].body == "Under review"
    assert not target["thread"].is_locked and not target["thread"].is_pinned
    assert target["thread"].space == target["space"]
    assert Membership.objects.get(user=target["member"], space=target["space"]).status == "active"


@pytest.mark.parametrize("action", SPACE_ACTIONS)
def test_acting_twice_changes_nothing_the_second_time(moderator, target, action):
    if action == "warn":
        pytest.skip("each warning is a separate warning, recorded separately")
    assert ACTIONS[action](moderator, target) is True
    assert ACTIONS[action](moderator, target) is False
    assert AuditEntry.objects.count() == (2 if action == "move" else 1)


def test_two_moderators_acting_on_a_stale_copy_act_once(space, moderator, target):
    second = make_member(space, "Second Mod", is_moderator=True)
    stale = target["post"]
    assert services.hide_post(actor=moderator, post=stale, reason="First") is True
    assert services.hide_post(actor=second, post=stale, reason="Second") is False
    stale.refresh_from_db()
    assert stale.hidden_reason == "First"
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("hide", lambda a, t: services.hide_post(actor=a, post=t["post"], reason=" ")),
        ("delete", lambda a, t: services.delete_post(actor=a, post=t["post"], reason="")),
        ("edit", lambda a, t: services.edit_post(actor=a, post=t["post"], body="x", reason="")),
        ("hide_thread", lambda a, t: services.hide_thread(actor=a, thread=t["thread"], reason="")),
        (
            "warn",
            lambda a, t: services.warn_member(
                actor=a, space=t["space"], member=t["member"], reason=""
            ),
        ),
    ],
)
def test_empty_reason_is_refused_and_nothing_changes(moderator, target, action, call):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="reason"):
        call(moderator, target)
    target["post"].refresh_from_db()
    assert target["post"].status == "published" and not target["post"].is_deleted
    assert not AuditEntry.objects.exists()


def test_edit_to_empty_body_is_refused(moderator, target):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.edit_post(actor=moderator, post=target["post"], body="  ", reason="x")
    target["post"].refresh_from_db()
    assert target["post"].body == "Under review"
