"""Who may do what in live sessions. Pure functions, no writes.

HTTP views get ``Http404`` / ``PermissionDenied`` as elsewhere; the WebSocket consumer gets a
:class:`LiveRefusal` carrying the protocol's error code (SPEC.md "WebSocket protocol").
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404

from community import policy as community_policy
from community.models import Membership, Space, User

from .models import LiveSession, ParticipantRemoval

# Close codes of SPEC.md: the client stops reconnecting on any of them.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404


class LiveRefusal(Exception):
    """A command refused with one of the protocol's error codes.

    ``close`` is a close code when the connection must end too (the member lost access).
    """

    def __init__(self, code: str, detail: str, *, close: int | None = None, **extra):
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.close = close
        #: More keys for the error frame (``url`` of the guidelines to accept).
        self.extra = extra


def is_removed(user, session: LiveSession) -> bool:
    return ParticipantRemoval.objects.filter(session=session, user=user).exists()


def can_see_session(user, session: LiveSession) -> bool:
    return community_policy.can_read_space(user, session.space)


def check_see_session(user, session: LiveSession) -> None:
    if not can_see_session(user, session):
        raise Http404("No such live session.")


def can_facilitate(user, session: LiveSession) -> bool:
    """The session's facilitators, the space's facilitators and moderators, and staff."""
    if not user.is_authenticated:
        return False
    if community_policy.can_facilitate_space(user, session.space):
        return True
    if not community_policy.is_active_member(user, session.space):
        return False
    return session.facilitators.filter(pk=user.pk).exists()


def check_facilitate(user, session: LiveSession) -> None:
    check_see_session(user, session)
    if not can_facilitate(user, session):
        raise PermissionDenied("Only this session's facilitators can do that.")


def can_create_session(user, space: Space) -> bool:
    return community_policy.can_facilitate_space(user, space)


def check_create_session(user, space: Space) -> None:
    community_policy.check_read_space(user, space)
    if not can_create_session(user, space):
        raise PermissionDenied(
            "Only this space's facilitators and moderators can schedule sessions."
        )


def check_register(user, session: LiveSession) -> None:
    check_see_session(user, session)
    community_policy.check_not_suspended(user)
    if session.status == LiveSession.Status.ENDED:
        raise PermissionDenied("This session has ended.")


def connect_refusal(user, session_id: int) -> tuple[int | None, LiveSession | None]:
    """The close code for a WebSocket connect to session ``session_id``, or None to let it in.

    4404 when the session does not exist or its space is hidden from the user; 4403 when they
    can see the space but may not take part (not an active member, banned, suspended, removed).
    """
    if not user.is_authenticated:
        return CLOSE_NOT_SIGNED_IN, None
    session = LiveSession.objects.select_related("space").filter(pk=session_id).first()
    if session is None:
        return CLOSE_NOT_FOUND, None
    space = session.space
    membership = community_policy.membership_of(user, space)
    if membership is not None and membership.status == Membership.Status.BANNED:
        return CLOSE_NOT_ALLOWED, session
    if not community_policy.can_see_space(user, space):
        return CLOSE_NOT_FOUND, None
    if not community_policy.can_read_space(user, space):
        return CLOSE_NOT_ALLOWED, session
    if getattr(user, "is_suspended", False) or is_removed(user, session):
        return CLOSE_NOT_ALLOWED, session
    return None, session


def max_sockets_per_member() -> int:
    return settings.LIVE_MAX_SOCKETS_PER_MEMBER


def check_in_room(user, session: LiveSession) -> None:
    """Raise unless ``user`` may still be in the room (checked again on every command)."""
    if not community_policy.can_read_space(user, session.space) or is_removed(user, session):
        raise LiveRefusal(
            "forbidden", "You are no longer a participant in this session.", close=CLOSE_NOT_ALLOWED
        )
    try:
        community_policy.check_not_suspended(user)
    except PermissionDenied as exc:
        raise LiveRefusal("forbidden", str(exc.args[0]), close=CLOSE_NOT_ALLOWED) from exc


def check_speak(user, session: LiveSession) -> bool:
    """Raise unless ``user`` may post to the stream now; return whether they facilitate."""
    check_in_room(user, session)
    membership = community_policy.membership_of(user, session.space)
    if membership is not None and membership.is_muted:
        try:
            community_policy.check_participate(user, session.space)
        except PermissionDenied as exc:
            raise LiveRefusal("muted", str(exc.args[0])) from exc
    if session.status != LiveSession.Status.LIVE:
        raise LiveRefusal("not_live", "The session is not live, so the chat is closed.")
    facilitating = can_facilitate(user, session)
    if session.locked and not facilitating:
        raise LiveRefusal("locked", "The facilitator has locked the chat for now.")
    return facilitating


def check_facilitator_command(user, session: LiveSession) -> None:
    check_in_room(user, session)
    if not can_facilitate(user, session):
        raise LiveRefusal("forbidden", "Only the session's facilitators can do that.")


def check_sanction_participant(actor, session: LiveSession, member: User) -> bool:
    """Mute, unmute or remove ``member`` from the live console: the community's one sanction
    rule (:func:`community.policy.check_sanction`), which also protects this session's own
    facilitators. Return the ``facilitating`` flag community.sanctions takes."""
    moderating = community_policy.can_moderate_space(actor, session.space)
    facilitating = not moderating and can_facilitate(actor, session)
    try:
        community_policy.check_sanction(actor, session.space, member, facilitating=facilitating)
    except PermissionDenied as exc:
        raise LiveRefusal("forbidden", str(exc.args[0])) from exc
    if not moderating and can_facilitate(member, session):
        raise LiveRefusal(
            "forbidden", "Facilitators, moderators and staff cannot be muted or removed here."
        )
    return facilitating
