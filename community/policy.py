"""Who may do what with members, spaces, memberships, guidelines and invitations.

Pure functions, no writes. ``can_*`` answer for templates; ``check_*`` raise: ``Http404`` when the
actor may not know the object exists, ``PermissionDenied`` with a sentence a person understands
when they may see it but not act.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import Q
from django.http import Http404

from .formats import when
from .models import GuidelinesAcceptance, GuidelinesVersion, JoinPolicy, Membership, Space, User

_CACHE = "_membership_cache"


def membership_of(user, space: Space) -> Membership | None:
    """The user's membership of ``space``, cached on the space object for the request."""
    if not user.is_authenticated:
        return None
    cache = space.__dict__.setdefault(_CACHE, {})
    if user.pk not in cache:
        cache[user.pk] = Membership.objects.filter(user=user, space=space).first()
    return cache[user.pk]


def remember_memberships(space: Space, memberships: dict[int, Membership | None]) -> None:
    """Seed the cache from a read that already has them (a list page), keyed by user id."""
    space.__dict__.setdefault(_CACHE, {}).update(memberships)


def forget_membership(space: Space, user) -> None:
    """Drop a cached membership after it changed, so the next check reads it again."""
    space.__dict__.get(_CACHE, {}).pop(user.pk, None)


def is_active_member(user, space: Space) -> bool:
    membership = membership_of(user, space)
    return membership is not None and membership.is_active


def can_see_space(user, space: Space) -> bool:
    """The space's page (name, summary, guidelines, join button)."""
    if not user.is_authenticated:
        return False
    if user.is_staff or space.listed:
        return True
    membership = membership_of(user, space)
    return membership is not None and membership.status != Membership.Status.BANNED


def check_see_space(user, space: Space) -> None:
    if not can_see_space(user, space):
        raise Http404("No such space.")


def can_read_space(user, space: Space) -> bool:
    """The inside of a space: its threads, sessions and members."""
    if not user.is_authenticated:
        return False
    return user.is_staff or is_active_member(user, space)


def check_read_space(user, space: Space) -> None:
    if not can_read_space(user, space):
        raise Http404("No such space.")


def can_moderate_space(user, space: Space) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    membership = membership_of(user, space)
    return membership is not None and membership.is_active and membership.is_moderator


def check_moderate_space(user, space: Space) -> None:
    check_see_space(user, space)
    if not can_moderate_space(user, space):
        raise PermissionDenied("Only this space's moderators can do that.")


def can_facilitate_space(user, space: Space) -> bool:
    if can_moderate_space(user, space):
        return True
    membership = membership_of(user, space)
    return membership is not None and membership.is_active and membership.is_facilitator


def can_invite_to_space(user, space: Space) -> bool:
    return can_moderate_space(user, space)


def can_invite_to_site(user) -> bool:
    return user.is_authenticated and user.is_staff


def check_join(user, space: Space) -> None:
    """Raise unless ``user`` may join (open) or ask to join (request) ``space`` now."""
    check_see_space(user, space)
    membership = membership_of(user, space)
    if membership is not None:
        if membership.status == Membership.Status.BANNED:
            raise PermissionDenied("You have been banned from this space, so you cannot rejoin it.")
        if membership.status == Membership.Status.ACTIVE:
            raise PermissionDenied("You are already a member of this space.")
        if membership.status == Membership.Status.PENDING:
            raise PermissionDenied("Your request to join is waiting for a moderator.")
    if space.join_policy == JoinPolicy.INVITE:
        raise PermissionDenied(
            "This space is invite only. Ask one of its moderators for an invitation."
        )
    check_not_suspended(user)


def passes(check, *args, **kwargs) -> bool:
    """Whether ``check(*args, **kwargs)`` lets the action through: each ``can_*`` for
    templates is its ``check_*`` asked this way, so the two can never disagree."""
    try:
        check(*args, **kwargs)
    except (PermissionDenied, Http404):
        return False
    return True


def can_join(user, space: Space) -> bool:
    return passes(check_join, user, space)


def check_leave(user, space: Space) -> Membership:
    check_see_space(user, space)
    membership = membership_of(user, space)
    if membership is None or membership.status == Membership.Status.BANNED:
        raise PermissionDenied("You are not a member of this space.")
    return membership


def check_not_suspended(user) -> None:
    if getattr(user, "is_suspended", False):
        raise PermissionDenied(
            f"Your account is suspended until {when(user.suspended_until)}. "
            "You can still read and export your data."
        )


def check_participate(user, space: Space) -> None:
    """Raise unless ``user`` may post, react or flag inside ``space`` right now."""
    check_read_space(user, space)
    check_not_suspended(user)
    membership = membership_of(user, space)
    if membership is not None and membership.is_muted:
        raise PermissionDenied(
            f"You are muted in {space.name} until {when(membership.muted_until)}"
            + (f": {membership.mute_reason}" if membership.mute_reason else ".")
        )


def can_participate(user, space: Space) -> bool:
    return passes(check_participate, user, space)


def check_manage_membership(actor, membership: Membership) -> None:
    """Approve, decline, change roles, remove or ban: the space's moderators and staff only."""
    check_moderate_space(actor, membership.space)


def check_set_roles(actor, membership: Membership, *, moderator: bool, facilitator: bool) -> None:
    check_manage_membership(actor, membership)
    if membership.status != Membership.Status.ACTIVE:
        raise PermissionDenied("Only active members can be given a role.")
    if membership.user_id == actor.pk and not actor.is_staff and not moderator:
        raise PermissionDenied("Ask another moderator or staff to remove your own moderator role.")
    if membership.user.is_staff and not actor.is_staff:
        raise PermissionDenied("Staff accounts' roles can only be changed by other staff.")


def pending_guidelines(user, space: Space | None = None) -> list[GuidelinesVersion]:
    """The current guidelines versions ``user`` must accept before posting (community first).

    One query whatever applies: the newest version of the community's and of ``space``'s, each
    with whether ``user`` accepted it. Written out in SQL: every live message and post asks it."""
    quote = connection.ops.quote_name
    versions = quote(GuidelinesVersion._meta.db_table)
    newest = f"(SELECT id FROM {versions} WHERE {{}} ORDER BY version DESC LIMIT 1)"  # noqa: S608 (a model's table name, not input)
    wanted, params = [newest.format("space_id IS NULL")], []
    if space is not None:
        wanted.append(newest.format("space_id = %s"))
        params.append(space.pk)
    if user.is_authenticated:
        accepted = (
            f"EXISTS (SELECT 1 FROM {quote(GuidelinesAcceptance._meta.db_table)} "  # noqa: S608 (the same)
            "WHERE user_id = %s AND version_id = v.id)"
        )
        params.insert(0, user.pk)
    else:
        accepted = "1 = 0"
    found = GuidelinesVersion.objects.raw(
        f"SELECT v.*, {accepted} AS accepted_now FROM {versions} v "  # noqa: S608 (the same)
        f"WHERE {' OR '.join(f'v.id = {one}' for one in wanted)}",
        params,
    )
    return [
        version
        for version in sorted(found, key=lambda version: version.space_id is not None)
        if not version.accepted_now
    ]


def has_accepted_guidelines(user, space: Space | None = None) -> bool:
    return not pending_guidelines(user, space)


def check_sanction(actor, space: Space, member: User, *, facilitating: bool = False) -> None:
    """Mute, unmute, warn, remove or ban ``member`` in ``space``: the one rule for every path
    (the review queue, the members page, the live console).

    ``facilitating`` says the caller's own policy found ``actor`` facilitating a live session in
    ``space``: facilitators may mute and unmute ordinary members there, nothing more.
    """
    check_read_space(actor, space)
    if not (can_moderate_space(actor, space) or facilitating):
        raise PermissionDenied("Only this space's moderators can do that.")
    check_not_suspended(actor)
    if member.pk == actor.pk:
        raise PermissionDenied("You cannot do that to yourself.")
    if member.is_staff and not actor.is_staff:
        raise PermissionDenied("Staff accounts can only be sanctioned by other staff.")
    if not can_moderate_space(actor, space) and can_facilitate_space(member, space):
        raise PermissionDenied(
            "Facilitators, moderators and staff cannot be muted or removed here."
        )


def can_suspend(user) -> bool:
    return user.is_authenticated and user.is_staff


def check_suspend(actor, member: User) -> None:
    """Suspend or reinstate an account site-wide: staff only, never themselves."""
    if not can_suspend(actor):
        raise PermissionDenied("Only staff can suspend or reinstate an account.")
    if member.pk == actor.pk:
        raise PermissionDenied("You cannot suspend yourself.")


class GuidelinesRequired(PermissionDenied):
    """The member must accept ``version`` (and maybe others) before posting."""

    def __init__(self, version: GuidelinesVersion):
        self.version = version
        where = f"{version.space.name}'s" if version.space_id else "the community"
        super().__init__(
            f"Please read and accept {where} guidelines before you post. Your text is kept."
        )


def check_guidelines_accepted(user, space: Space | None = None) -> None:
    """Raise :class:`GuidelinesRequired` unless ``user`` accepted every current version that
    applies (the community's, then ``space``'s). Every service that stores content calls it."""
    pending = pending_guidelines(user, space)
    if pending:
        raise GuidelinesRequired(pending[0])


def holds_power(user) -> bool:
    """Staff, and active moderators or facilitators of any space: roles that act on others."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return Membership.objects.filter(
        Q(is_moderator=True) | Q(is_facilitator=True), user=user, status=Membership.Status.ACTIVE
    ).exists()


def mfa_setup_required(user) -> bool:
    """Whether ``user`` must set up two-factor authentication before going on: with
    ``MFA_REQUIRED_FOR_ROLES`` on, anyone who :func:`holds_power` and has no allauth MFA
    authenticator. The one rule for every way in: each page (``MfaRequiredMiddleware``) and each
    WebSocket connect (the live room's and the thread page's)."""
    if not settings.MFA_REQUIRED_FOR_ROLES or not user.is_authenticated:
        return False
    if not holds_power(user):
        return False
    from allauth.mfa.models import Authenticator

    return not Authenticator.objects.filter(user=user).exists()


MFA_REQUIRED_DETAIL = (
    "Your role lets you act on other members' posts, so set up two-factor authentication "
    "before you continue."
)
