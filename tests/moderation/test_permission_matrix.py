"""Who may take each moderation action: one row per role, one column per action."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from community import sanctions
from community.models import AuditEntry, Membership
from moderation import services
from moderation.models import Flag
from tests.conftest import make_member

from .conftest import act, make_post, make_thread

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
    post = make_post(thread, member, body="Under review")
    services.flag_post(actor=make_member(space, "Fay Flagger"), post=post, reason="spam")
    return {
        "thread": thread,
        "post": post,
        "pending": make_post(thread, member, status="pending"),
        "member": other_member,
        "space": space,
        "other_space": other_space,
        "until": timezone.now() + timedelta(days=1),
    }


ACTIONS = {
    "approve": lambda a, t: act(a, t["pending"], "approve"),
    "hide": lambda a, t: act(a, t["post"], "hide", reason="Breach"),
    "delete": lambda a, t: act(a, t["post"], "delete", reason="Breach"),
    "edit": lambda a, t: act(a, t["post"], "edit", body="Tidied", reason="Name"),
    "lock": lambda a, t: act(a, t["thread"], "lock"),
    "pin": lambda a, t: act(a, t["thread"], "pin"),
    "hide_thread": lambda a, t: act(a, t["thread"], "hide", reason="Off"),
    "move": lambda a, t: act(a, t["thread"], "move", to_space=t["other_space"]),
    "warn": lambda a, t: act(a, t["member"], "warn", space=t["space"], reason="Tone"),
    "mute": lambda a, t: act(
        a, t["member"], "mute", space=t["space"], until=t["until"], reason="Tone"
    ),
    "ban": lambda a, t: act(a, t["member"], "ban", space=t["space"], reason="Abuse"),
    "dismiss": lambda a, t: services.dismiss_flags(actor=a, target=t["post"]),
    "suspend": lambda a, t: sanctions.suspend_member(
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
    assert Flag.objects.open().count() == 1


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
    assert act(moderator, stale, "hide", reason="First") is True
    assert act(second, stale, "hide", reason="Second") is False
    stale.refresh_from_db()
    assert stale.hidden_reason == "First"
    assert AuditEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("action", "call"),
    [
        ("hide", lambda a, t: act(a, t["post"], "hide", reason=" ")),
        ("delete", lambda a, t: act(a, t["post"], "delete", reason="")),
        ("edit", lambda a, t: act(a, t["post"], "edit", body="x", reason="")),
        ("hide_thread", lambda a, t: act(a, t["thread"], "hide", reason="")),
        ("warn", lambda a, t: act(a, t["member"], "warn", space=t["space"], reason="")),
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
        act(moderator, target["post"], "edit", body="  ", reason="x")
    target["post"].refresh_from_db()
    assert target["post"].body == "Under review"
