from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from community.models import AuditEntry, Membership, Space, User
from community.policy import check_participate
from community.sanctions import (
    ban_member,
    mute_member,
    suspend_member,
    unmute_member,
    unsuspend_member,
    warn_member,
)
from moderation.models import Flag
from moderation.services import flag_member
from tests.conftest import make_member
from threads.models import Notification


def _membership(user, space):
    return Membership.objects.get(user=user, space=space)


def test_moderator_mutes_member_until_a_time(space, moderator, member):
    until = timezone.now() + timedelta(hours=6)
    assert mute_member(actor=moderator, space=space, member=member, until=until, reason="Cool off")
    membership = _membership(member, space)
    assert membership.muted_until == until
    assert membership.mute_reason == "Cool off"
    entry = AuditEntry.objects.get(action="member.mute")
    assert entry.actor == moderator and entry.target_id == member.pk and "Cool off" in entry.reason
    assert Notification.objects.filter(recipient=member, text__contains="muted").exists()


def test_muted_member_is_told_until_when(space, moderator, member):
    until = timezone.now() + timedelta(hours=6)
    mute_member(actor=moderator, space=space, member=member, until=until, reason="Cool off")
    member = User.objects.get(pk=member.pk)
    space.__dict__.pop("_membership_cache", None)
    with pytest.raises(PermissionDenied, match=r"You are muted in .* until .*: Cool off"):
        check_participate(member, space)


def test_muting_twice_with_the_same_terms_changes_nothing(space, moderator, member):
    until = timezone.now() + timedelta(hours=6)
    assert mute_member(actor=moderator, space=space, member=member, until=until, reason="x")
    assert not mute_member(actor=moderator, space=space, member=member, until=until, reason="x")
    assert AuditEntry.objects.filter(action="member.mute").count() == 1


def test_mute_with_an_end_in_the_past_is_refused(space, moderator, member):
    with pytest.raises(ValidationError, match="future"):
        mute_member(
            actor=moderator,
            space=space,
            member=member,
            until=timezone.now() - timedelta(minutes=1),
            reason="x",
        )
    assert _membership(member, space).muted_until is None
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_mute_without_a_reason_is_refused(space, moderator, member, reason):
    with pytest.raises(ValidationError, match="reason"):
        mute_member(
            actor=moderator,
            space=space,
            member=member,
            until=timezone.now() + timedelta(hours=1),
            reason=reason,
        )
    assert _membership(member, space).muted_until is None
    assert not AuditEntry.objects.exists()


def test_unmute_once(space, moderator, muted_member):
    assert unmute_member(actor=moderator, space=space, member=muted_member)
    assert not unmute_member(actor=moderator, space=space, member=muted_member)
    assert _membership(muted_member, space).muted_until is None
    assert AuditEntry.objects.filter(action="member.unmute").count() == 1


def test_warn_requires_reason_and_notifies(space, moderator, member):
    with pytest.raises(ValidationError):
        warn_member(actor=moderator, space=space, member=member, reason="")
    assert not AuditEntry.objects.exists()
    assert warn_member(actor=moderator, space=space, member=member, reason="Please keep it civil")
    assert AuditEntry.objects.get().action == "member.warn"
    assert (
        "warned you: Please keep it civil. If you think"
        in Notification.objects.get(recipient=member).text
    )


def test_ban_from_space_once(space, moderator, member):
    assert ban_member(actor=moderator, space=space, member=member, reason="Abuse")
    assert not ban_member(actor=moderator, space=space, member=member, reason="Abuse")
    assert _membership(member, space).status == Membership.Status.BANNED
    assert AuditEntry.objects.filter(action="membership.ban").count() == 1


def test_ban_without_reason_is_refused(space, moderator, member):
    with pytest.raises(ValidationError):
        ban_member(actor=moderator, space=space, member=member, reason="")
    assert _membership(member, space).status == Membership.Status.ACTIVE
    assert not AuditEntry.objects.exists()


def test_staff_suspends_and_reinstates(staff, member):
    until = timezone.now() + timedelta(days=2)
    assert suspend_member(actor=staff, member=member, until=until, reason="Confidentiality")
    assert not suspend_member(actor=staff, member=member, until=until, reason="Confidentiality")
    member.refresh_from_db()
    assert member.is_suspended and member.suspension_reason == "Confidentiality"
    assert unsuspend_member(actor=staff, member=member)
    assert not unsuspend_member(actor=staff, member=member)
    member.refresh_from_db()
    assert not member.is_suspended
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["member.suspend", "member.unsuspend"]


def test_moderator_cannot_suspend(moderator, member):
    with pytest.raises(PermissionDenied, match="Only staff"):
        suspend_member(
            actor=moderator, member=member, until=timezone.now() + timedelta(days=1), reason="x"
        )
    member.refresh_from_db()
    assert member.suspended_until is None
    assert not AuditEntry.objects.exists()


def test_suspension_in_the_past_is_refused(staff, member):
    with pytest.raises(ValidationError):
        suspend_member(actor=staff, member=member, until=timezone.now(), reason="x")
    member.refresh_from_db()
    assert member.suspended_until is None


def test_moderator_cannot_mute_themselves(space, moderator):
    with pytest.raises(PermissionDenied):
        mute_member(
            actor=moderator,
            space=space,
            member=moderator,
            until=timezone.now() + timedelta(hours=1),
            reason="x",
        )


def test_moderator_of_another_space_gets_404(space, other_moderator, member):
    with pytest.raises(Http404):
        warn_member(actor=other_moderator, space=space, member=member, reason="x")
    assert not AuditEntry.objects.exists()


def test_mute_a_non_member_is_refused(space, moderator, outsider):
    with pytest.raises(ValidationError, match="not a member"):
        mute_member(
            actor=moderator,
            space=space,
            member=outsider,
            until=timezone.now() + timedelta(hours=1),
            reason="x",
        )
    assert not AuditEntry.objects.exists()


# One mute, whichever page or socket it comes from -------------------------------------------
#
# Before the layers were drawn there were three mutes: the review queue's closed the member's
# open flags and refreshed the cached membership; the live console's did neither and audited
# "membership.mute". The one rule (community.sanctions) now holds on every path.


def _mute_from_the_review_queue(moderator, space, member, login):
    until = (timezone.localtime() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = login(moderator).post(
        f"/moderation/spaces/{space.slug}/members/{member.pk}/mute/",
        {"duration": "", "until": until, "reason": "Cool off"},
    )
    assert response.status_code == 302


def _mute_from_the_live_console(moderator, space, member, login):
    from realtime import services as realtime_services
    from realtime.models import LiveSession

    now = timezone.now()
    session = LiveSession.objects.create(
        space=space,
        title="Listening circle",
        starts_at=now,
        ends_at=now + timedelta(hours=1),
        status=LiveSession.Status.LIVE,
    )
    assert realtime_services.mute_participant(
        actor=moderator, session=session, user_id=member.pk, minutes=60, reason="Cool off"
    )


def _mute_through_the_service(moderator, space, member, login):
    assert mute_member(
        actor=moderator,
        space=space,
        member=member,
        until=timezone.now() + timedelta(hours=1),
        reason="Cool off",
    )


@pytest.mark.parametrize(
    "mute",
    [_mute_from_the_review_queue, _mute_from_the_live_console, _mute_through_the_service],
    ids=["review-queue", "live-console", "service"],
)
def test_a_mute_from_any_path_closes_the_members_flags_in_the_space_and_audits_member_mute(
    mute, space, other_space, moderator, member, other_member, login
):
    Membership.objects.create(user=member, space=other_space)
    here = flag_member(actor=other_member, member=member, space=space, reason="personal_attack")
    elsewhere = flag_member(
        actor=make_member(other_space), member=member, space=other_space, reason="spam"
    )
    mute(moderator, space, member, login)
    here.refresh_from_db()
    elsewhere.refresh_from_db()
    assert here.status == Flag.Status.UPHELD and here.resolved_by == moderator
    assert elsewhere.status == Flag.Status.OPEN  # flags in another space are not answered
    entry = AuditEntry.objects.get(target_id=member.pk)
    assert entry.action == "member.mute" and entry.actor == moderator
    assert "Cool off" in entry.reason
    assert "took action" in Notification.objects.get(recipient=other_member).text
    with pytest.raises(PermissionDenied, match="muted"):
        check_participate(User.objects.get(pk=member.pk), Space.objects.get(pk=space.pk))


def test_a_mute_refreshes_the_membership_cached_on_the_space(space, moderator, member):
    check_participate(member, space)  # caches the membership on ``space`` for the request
    _mute_through_the_service(moderator, space, member, None)
    with pytest.raises(PermissionDenied, match="muted"):
        check_participate(member, space)


def test_warning_and_ban_close_the_flags_too_but_unmute_does_not(space, moderator, member, login):
    flaggers = [make_member(space) for _ in range(3)]
    flag_member(actor=flaggers[0], member=member, space=space, reason="spam")
    assert warn_member(actor=moderator, space=space, member=member, reason="Tone")
    assert not Flag.objects.open().exists()
    flag_member(actor=flaggers[1], member=member, space=space, reason="spam")
    until = timezone.now() + timedelta(hours=1)
    mute_member(actor=moderator, space=space, member=member, until=until, reason="x")
    flag_member(actor=flaggers[2], member=member, space=space, reason="spam")
    assert unmute_member(actor=moderator, space=space, member=member)
    assert Flag.objects.open().count() == 1
    membership = _membership(member, space)
    response = login(moderator).post(
        f"/spaces/{space.slug}/members/{membership.pk}/ban/", {"reason": "Abuse"}
    )
    assert response.status_code == 302
    assert not Flag.objects.open().exists()
    assert set(Flag.objects.values_list("status", flat=True)) == {Flag.Status.UPHELD}
