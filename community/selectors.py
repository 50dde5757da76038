"""Reads for members, spaces, memberships and guidelines. Visibility starts from the querysets."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from .models import GuidelinesVersion, Invitation, Membership, Space, User


def current_guidelines(space: Space | None) -> GuidelinesVersion | None:
    qs = (
        GuidelinesVersion.objects.filter(space=space)
        if space
        else GuidelinesVersion.objects.filter(space__isnull=True)
    )
    return qs.order_by("-version").first()


def spaces_for_directory(user) -> QuerySet[Space]:
    """Listed spaces plus the ones the member belongs to, each with member count and own status."""
    return (
        Space.objects.visible_to(user)
        .annotate(
            member_count=Count(
                "memberships", filter=Q(memberships__status=Membership.Status.ACTIVE), distinct=True
            )
        )
        .prefetch_related(
            Prefetch(
                "memberships",
                queryset=Membership.objects.filter(user=user),
                to_attr="my_memberships",
            )
        )
        .order_by("position", "name")
    )


def member_spaces(user) -> QuerySet[Space]:
    return (
        Space.objects.readable_by(user).order_by("position", "name")
        if not user.is_staff
        else (
            Space.objects.filter(
                memberships__user=user, memberships__status=Membership.Status.ACTIVE
            )
            .distinct()
            .order_by("position", "name")
        )
    )


def space_members(space: Space) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(space=space, status=Membership.Status.ACTIVE)
        .select_related("user")
        .order_by("-is_moderator", "-is_facilitator", "user__display_name")
    )


def pending_requests(space: Space) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(space=space, status=Membership.Status.PENDING)
        .select_related("user")
        .order_by("created_at")
    )


def banned_members(space: Space) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(space=space, status=Membership.Status.BANNED)
        .select_related("user")
        .order_by("user__display_name")
    )


def profile_visible_to(viewer, user_id: int) -> User | None:
    """Profiles are visible to signed-in members only."""
    if not viewer.is_authenticated:
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def usable_invitation(token: str) -> Invitation | None:
    return Invitation.objects.usable().select_related("space").filter(token=token).first()


def invitations_made_by(user) -> QuerySet[Invitation]:
    """The invitations ``user`` made (staff: all of them), with their space and who used them."""
    if not user.is_authenticated:
        return Invitation.objects.none()
    invitations = Invitation.objects.select_related("space", "used_by", "created_by")
    if user.is_staff:
        return invitations.order_by("-created_at", "-pk")
    return invitations.filter(created_by=user).order_by("-created_at", "-pk")
