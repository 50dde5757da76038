"""Every sanction, in one module: warn, mute, unmute, remove, ban, unban, suspend, unsuspend.

The review queue, the members page and the live console all call these, so one rule holds on
every path (:func:`community.policy.check_sanction`). Each runs in one transaction: policy check
→ validate → save → audit entry → notice → :data:`community.signals.standing_changed`, whose
receivers close the member's open flags (moderation) and tell their open sockets (realtime,
threads). Each returns whether anything changed, so a repeated action is harmless.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from . import audit, notices, policy, signals
from .formats import when
from .models import AuditAction, Membership, Space, User

REASON_MAX = 500


def required_reason(reason: str | None, why: str) -> str:
    """A moderator's reason, required (the member is told it) and of a sensible length."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": f"Give a reason: {why}"})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    return reason


def future(until: datetime | None, field: str = "until") -> datetime:
    if until is None:
        raise ValidationError({field: "Choose when it ends."})
    if timezone.is_naive(until):
        until = timezone.make_aware(until)
    if until <= timezone.now():
        raise ValidationError({field: "Choose an end in the future."})
    return until


def _locked_membership(space: Space, member: User) -> Membership:
    membership = (
        Membership.objects.select_for_update()
        .select_related("space", "user")
        .filter(space=space, user=member)
        .first()
    )
    if membership is None or membership.status == Membership.Status.PENDING:
        raise ValidationError(f"{member} is not a member of {space.name}.")
    return membership


def _active(membership: Membership) -> Membership:
    if membership.status != Membership.Status.ACTIVE:
        raise ValidationError(f"{membership.user} is not an active member of {membership.space}.")
    return membership


def _changed(
    *, actor, member: User, space: Space | None, change: str, until=None, reason: str = ""
) -> None:
    if space is not None:
        policy.forget_membership(space, member)
    signals.standing_changed.send(
        sender=User,
        user=member,
        space=space,
        change=change,
        until=until,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def warn_member(*, actor: User, space: Space, member: User, reason: str) -> bool:
    """A formal warning: the member is told why; the audit log keeps it. Every call warns."""
    policy.check_sanction(actor, space, member)
    reason = required_reason(reason, "the member is told why they were warned.")
    _active(_locked_membership(space, member))
    audit.record(
        actor=actor, action=AuditAction.MEMBER_WARN, space=space, target=member, reason=reason
    )
    notices.tell(
        member, notices.appealable(f"A moderator of {space.name} has warned you: {reason}")
    )
    _changed(actor=actor, member=member, space=space, change=signals.WARNED, reason=reason)
    return True


@transaction.atomic
def mute_member(
    *,
    actor: User,
    space: Space,
    member: User,
    until: datetime | None,
    reason: str,
    facilitating: bool = False,
) -> bool:
    """Mute in one space until ``until``: the member can read but not post, react or flag.

    ``facilitating``: the live console's caller found ``actor`` facilitating a session here."""
    policy.check_sanction(actor, space, member, facilitating=facilitating)
    until = future(until)
    reason = required_reason(reason, "the member is told why they were muted.")
    membership = _active(_locked_membership(space, member))
    if membership.muted_until == until and membership.mute_reason == reason:
        return False
    membership.muted_until = until
    membership.mute_reason = reason
    membership.save(update_fields=["muted_until", "mute_reason", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.MEMBER_MUTE,
        space=space,
        target=member,
        reason=f"{reason} (until {when(until)})",
    )
    notices.tell(
        member, notices.appealable(f"You are muted in {space.name} until {when(until)}: {reason}")
    )
    _changed(
        actor=actor, member=member, space=space, change=signals.MUTED, until=until, reason=reason
    )
    return True


@transaction.atomic
def unmute_member(
    *, actor: User, space: Space, member: User, reason: str = "", facilitating: bool = False
) -> bool:
    policy.check_sanction(actor, space, member, facilitating=facilitating)
    membership = _locked_membership(space, member)
    if not membership.is_muted:
        return False
    membership.muted_until = None
    membership.mute_reason = ""
    membership.save(update_fields=["muted_until", "mute_reason", "updated_at"])
    audit.record(
        actor=actor, action=AuditAction.MEMBER_UNMUTE, space=space, target=member, reason=reason
    )
    notices.tell(member, f"You can take part in {space.name} again.")
    _changed(actor=actor, member=member, space=space, change=signals.UNMUTED, reason=reason)
    return True


@transaction.atomic
def remove_member(*, actor: User, space: Space, member: User, reason: str = "") -> bool:
    """Take an active member out of the space (they may ask to join again)."""
    if member.pk == actor.pk:
        raise PermissionDenied("Use “Leave this space” to leave it yourself.")
    policy.check_sanction(actor, space, member)
    membership = _locked_membership(space, member)
    if membership.status != Membership.Status.ACTIVE:
        return False
    membership.delete()
    audit.record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_REMOVE,
        space=space,
        target=member,
        reason=reason,
    )
    notices.tell(member, f"A moderator removed you from {space.name}" + _colon(reason))
    _changed(actor=actor, member=member, space=space, change=signals.REMOVED, reason=reason)
    return True


@transaction.atomic
def ban_member(*, actor: User, space: Space, member: User, reason: str) -> bool:
    """Ban from one space: they see nothing inside it and cannot rejoin."""
    policy.check_sanction(actor, space, member)
    reason = required_reason(reason, "the member is told why they were banned.")
    membership = _locked_membership(space, member)
    if membership.status == Membership.Status.BANNED:
        return False
    membership.status = Membership.Status.BANNED
    membership.ban_reason = reason
    membership.is_moderator = membership.is_facilitator = False
    membership.save()
    audit.record(
        actor=actor, action=AuditAction.MEMBERSHIP_BAN, space=space, target=member, reason=reason
    )
    notices.tell(member, notices.appealable(f"You have been banned from {space.name}: {reason}"))
    _changed(actor=actor, member=member, space=space, change=signals.BANNED, reason=reason)
    return True


@transaction.atomic
def unban_member(*, actor: User, space: Space, member: User, reason: str = "") -> bool:
    policy.check_sanction(actor, space, member)
    membership = _locked_membership(space, member)
    if membership.status != Membership.Status.BANNED:
        return False
    membership.delete()
    audit.record(
        actor=actor, action=AuditAction.MEMBERSHIP_UNBAN, space=space, target=member, reason=reason
    )
    _changed(actor=actor, member=member, space=space, change=signals.UNBANNED, reason=reason)
    return True


@transaction.atomic
def suspend_member(*, actor: User, member: User, until: datetime | None, reason: str) -> bool:
    """Suspend site-wide (staff only): the member can read and export but not take part."""
    policy.check_suspend(actor, member)
    until = future(until)
    reason = required_reason(reason, "the member is told why their account was suspended.")
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.suspended_until == until and member.suspension_reason == reason:
        return False
    member.suspended_until = until
    member.suspension_reason = reason
    member.save(update_fields=["suspended_until", "suspension_reason"])
    audit.record(
        actor=actor,
        action=AuditAction.MEMBER_SUSPEND,
        space=None,
        target=member,
        reason=f"{reason} (until {when(until)})",
    )
    notices.tell(
        member, notices.appealable(f"Your account is suspended until {when(until)}: {reason}")
    )
    _changed(
        actor=actor, member=member, space=None, change=signals.SUSPENDED, until=until, reason=reason
    )
    return True


@transaction.atomic
def unsuspend_member(*, actor: User, member: User, reason: str = "") -> bool:
    policy.check_suspend(actor, member)
    member = User.objects.select_for_update().get(pk=member.pk)
    if member.suspended_until is None:
        return False
    member.suspended_until = None
    member.suspension_reason = ""
    member.save(update_fields=["suspended_until", "suspension_reason"])
    audit.record(
        actor=actor, action=AuditAction.MEMBER_UNSUSPEND, space=None, target=member, reason=reason
    )
    notices.tell(member, "Your account is no longer suspended.")
    _changed(actor=actor, member=member, space=None, change=signals.UNSUSPENDED, reason=reason)
    return True


def _colon(reason: str) -> str:
    return f": {reason}" if reason else "."
