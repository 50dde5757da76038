"""Every write for members, spaces, memberships, guidelines and invitations.

Each service checks policy, validates, saves and returns whether anything changed, so that a
repeated action is harmless. Moderation actions write their audit entry in the same transaction
through :func:`community.audit.record`. Sanctions (mute, ban, remove, suspend) are in
:mod:`community.sanctions`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from community.rendering import render_markdown

from . import audit, notices, policy
from .models import (
    AuditAction,
    GuidelinesAcceptance,
    GuidelinesVersion,
    Invitation,
    JoinPolicy,
    Membership,
    Space,
    User,
)


@transaction.atomic
def accept_guidelines(*, actor: User, version: GuidelinesVersion) -> bool:
    if version.space_id is not None:
        policy.check_see_space(actor, version.space)
    _, created = GuidelinesAcceptance.objects.get_or_create(user=actor, version=version)
    return created


@transaction.atomic
def publish_guidelines(
    *, actor: User | None, space: Space | None, body: str, change_summary: str = ""
) -> GuidelinesVersion:
    """A new version of the community's or a space's guidelines; members accept it again."""
    if actor is not None:
        if space is None and not actor.is_staff:
            raise PermissionDenied("Only staff can change the community guidelines.")
        if space is not None:
            policy.check_moderate_space(actor, space)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the guidelines before publishing them."})
    scope = (
        GuidelinesVersion.objects.select_for_update().filter(space=space)
        if space
        else (GuidelinesVersion.objects.select_for_update().filter(space__isnull=True))
    )
    last = scope.order_by("-version").first()
    version = GuidelinesVersion.objects.create(
        space=space,
        version=(last.version + 1) if last else 1,
        body=body,
        body_html=render_markdown(body),
        change_summary=change_summary.strip(),
        created_by=actor,
    )
    if actor is not None and last is not None:
        audit.record(
            actor=actor,
            action=AuditAction.GUIDELINES_PUBLISH,
            space=space,
            target=version,
            reason=change_summary,
        )
    return version


@transaction.atomic
def join_space(*, actor: User, space: Space, message: str = "") -> Membership:
    """Join an open space, or ask to join a request-only one. The caller checked guidelines."""
    space = Space.objects.select_for_update().get(pk=space.pk)
    policy.check_join(actor, space)
    status = (
        Membership.Status.ACTIVE
        if space.join_policy == JoinPolicy.OPEN
        else Membership.Status.PENDING
    )
    membership, created = Membership.objects.get_or_create(
        user=actor, space=space, defaults={"status": status, "request_message": message[:500]}
    )
    if not created:
        membership.status = status
        membership.request_message = message[:500]
        membership.save(update_fields=["status", "request_message", "updated_at"])
    policy.forget_membership(space, actor)
    return membership


@transaction.atomic
def leave_space(*, actor: User, space: Space) -> bool:
    membership = policy.check_leave(actor, space)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.status == Membership.Status.BANNED:
        return False
    if membership.is_muted:
        # Leaving and rejoining must not be a way out of a mute.
        raise PermissionDenied("You can leave this space once your mute ends.")
    membership.delete()
    policy.forget_membership(space, actor)
    return True


def _locked_membership(actor: User, membership: Membership) -> Membership:
    locked = (
        Membership.objects.select_for_update().select_related("space", "user").get(pk=membership.pk)
    )
    policy.check_manage_membership(actor, locked)
    return locked


@transaction.atomic
def approve_request(*, actor: User, membership: Membership) -> bool:
    membership = _locked_membership(actor, membership)
    if membership.status != Membership.Status.PENDING:
        return False
    membership.status = Membership.Status.ACTIVE
    membership.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_APPROVE,
        space=membership.space,
        target=membership.user,
    )
    space = membership.space
    _tell_about_request(
        membership.user,
        f"Your request to join {space.name} was approved. Welcome!",
        link=space.get_absolute_url(),
        about=space,
    )
    return True


def _tell_about_request(user: User, text: str, *, link: str, about=None) -> None:
    """A join request's outcome: in the forum and by email (never naming the moderator)."""
    notices.tell(user, text, about=about)
    if user.is_active:
        notices.email(
            user.email,
            subject=text.split(".")[0],
            body=f"Hello {user.display_name},\n\n{text}\n\n{notices.site_url(link)}\n",
        )


@transaction.atomic
def decline_request(*, actor: User, membership: Membership, reason: str = "") -> bool:
    membership = _locked_membership(actor, membership)
    if membership.status != Membership.Status.PENDING:
        return False
    user, space = membership.user, membership.space
    membership.delete()
    audit.record(
        actor=actor, action=AuditAction.MEMBERSHIP_DECLINE, space=space, target=user, reason=reason
    )
    note = (reason or "").strip()
    _tell_about_request(
        user,
        f"Your request to join {space.name} was declined."
        + (f" The moderators said: {note}" if note else ""),
        link=reverse("space_list"),
    )
    return True


@transaction.atomic
def set_roles(*, actor: User, membership: Membership, moderator: bool, facilitator: bool) -> bool:
    membership = _locked_membership(actor, membership)
    policy.check_set_roles(actor, membership, moderator=moderator, facilitator=facilitator)
    if (membership.is_moderator, membership.is_facilitator) == (moderator, facilitator):
        return False
    membership.is_moderator = moderator
    membership.is_facilitator = facilitator
    membership.save(update_fields=["is_moderator", "is_facilitator", "updated_at"])
    roles = ", ".join(membership.role_labels)
    audit.record(
        actor=actor,
        action=AuditAction.MEMBERSHIP_ROLES,
        space=membership.space,
        target=membership.user,
        reason=roles,
    )
    return True


@transaction.atomic
def create_invitation(
    *, actor: User, space: Space | None, email: str = "", expires_at: datetime | None = None
) -> Invitation:
    if space is None:
        if not policy.can_invite_to_site(actor):
            raise PermissionDenied("Only staff can invite people to the forum.")
    else:
        policy.check_see_space(actor, space)
        if not policy.can_invite_to_space(actor, space):
            raise PermissionDenied("Only this space's moderators can invite people to it.")
    invitation = Invitation(space=space, email=email.strip().lower(), created_by=actor)
    if expires_at is not None:
        now = timezone.now()
        shortest, longest = settings.INVITATION_MIN_LIFETIME, settings.INVITATION_MAX_LIFETIME
        if expires_at < now + shortest:
            raise ValidationError({"expires_at": "Choose an expiry at least an hour from now."})
        if expires_at > now + longest:
            raise ValidationError(
                {"expires_at": f"Choose an expiry within {longest.days} days from now."}
            )
        invitation.expires_at = expires_at
    invitation.full_clean()
    invitation.save()
    if invitation.email:
        where = invitation.space.name if invitation.space_id else "the Race Equality Peer Forum"
        inviter = actor.display_name
        notices.email(
            invitation.email,
            subject=f"You are invited to join {where}",
            body=(
                f"Hello,\n\n{inviter} has invited you to join {where}, a private peer-learning "
                "community for people working on race equality in the NHS.\n\n"
                f"Accept the invitation (it works once, for this email address, until "
                f"{invitation.expires_at:%d %B %Y}):\n"
                f"{notices.site_url(invitation.get_absolute_url())}\n\n"
                "If you were not expecting this, you can ignore this email.\n"
            ),
        )
    return invitation


@transaction.atomic
def revoke_invitation(*, actor: User, invitation: Invitation) -> bool:
    """Whoever made an invitation (or staff) can revoke it until it is used."""
    locked = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
    if locked is None or not (actor.is_staff or locked.created_by_id == actor.pk):
        raise Http404("No such invitation.")
    if locked.revoked or locked.used_at is not None:
        return False
    locked.revoked = True
    locked.save(update_fields=["revoked"])
    return True


@transaction.atomic
def redeem_invitation(*, user: User, token: str) -> Invitation:
    """Use an invitation once: marks it used and, for a space, makes ``user`` active there."""
    invitation = Invitation.objects.select_for_update().filter(token=token).first()
    if invitation is None or not invitation.is_usable:
        raise ValidationError("This invitation has expired or has already been used.")
    if invitation.email and invitation.email.lower() != user.email.lower():
        raise ValidationError("This invitation was sent to a different email address.")
    invitation.used_at = timezone.now()
    invitation.used_by = user
    invitation.save(update_fields=["used_at", "used_by"])
    if invitation.space_id:
        membership = (
            Membership.objects.select_for_update().filter(user=user, space=invitation.space).first()
        )
        if membership is not None and membership.status == Membership.Status.BANNED:
            raise ValidationError(
                "You have been banned from this space, so this invitation cannot be used."
            )
        if membership is None:
            Membership.objects.get_or_create(
                user=user, space=invitation.space, defaults={"status": Membership.Status.ACTIVE}
            )
        elif membership.status == Membership.Status.PENDING:
            membership.status = Membership.Status.ACTIVE
            membership.save(update_fields=["status", "updated_at"])
    return invitation


@transaction.atomic
def forget_invitations_to(user: User, addresses: Iterable[str]) -> int:
    """Erasure: invitations sent to the member's ``addresses`` (or used by them) keep no
    address. One still waiting is revoked too: without its address it would become an
    invitation for anyone with the link. Invitations they sent are left alone (the addresses
    in them are the invitees'). Returns how many changed."""
    to_them = Q(used_by=user)
    for address in {a.strip() for a in addresses if a and a.strip()}:
        to_them |= Q(email__iexact=address)
    invitations = Invitation.objects.filter(to_them).exclude(email="")
    revoked = invitations.filter(used_at__isnull=True).update(email="", revoked=True)
    return revoked + invitations.update(email="")


@transaction.atomic
def update_profile(*, actor: User, data: dict) -> bool:
    fields = ["display_name", "organisation", "job_title", "pronouns", "bio", "email_frequency"]
    changed = [f for f in fields if f in data and getattr(actor, f) != data[f]]
    for field in changed:
        setattr(actor, field, data[field])
    if changed:
        actor.full_clean(exclude=["password"])
        actor.save(update_fields=changed)
    return bool(changed)


@transaction.atomic
def update_space_settings(*, actor: User, space: Space, data: dict) -> bool:
    space = Space.objects.select_for_update().get(pk=space.pk)
    policy.check_moderate_space(actor, space)
    changed = [name for name, value in data.items() if getattr(space, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(space, name, data[name])
    space.full_clean()
    space.save(update_fields=changed)
    summary = ", ".join(
        f"{name.replace('_', ' ')}: {data[name]}" for name in changed if name != "summary"
    )
    audit.record(
        actor=actor,
        action=AuditAction.SPACE_SETTINGS,
        space=space,
        target=space,
        reason=summary or "summary",
    )
    return True


@transaction.atomic
def create_space(*, actor: User, data: dict, guidelines: str) -> Space:
    if not actor.is_staff:
        raise PermissionDenied("Only staff can create spaces.")
    space = Space(**data)
    space.full_clean()
    space.save()
    publish_guidelines(actor=None, space=space, body=guidelines)
    Membership.objects.get_or_create(
        user=actor, space=space, defaults={"status": Membership.Status.ACTIVE, "is_moderator": True}
    )
    audit.record(actor=actor, action=AuditAction.SPACE_CREATE, space=space, target=space)
    return space
