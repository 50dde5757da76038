"""Who may do what in live sessions. Pure functions, no writes.

HTTP views get ``Http404`` / ``PermissionDenied`` as elsewhere; the WebSocket consumer gets a
:class:`LiveRefusal` carrying the protocol's error code (SPEC.md "WebSocket protocol").
"""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from community import policy as community_policy
from community.formats import when
from community.models import Membership, Space, User

from .compiled import CompiledRow
from .models import Attendance, FeedbackSubmission, LiveSession, ParticipantRemoval

# Close codes of SPEC.md: the client stops reconnecting on any of them.
CLOSE_NOT_SIGNED_IN = 4401
CLOSE_NOT_ALLOWED = 4403
CLOSE_NOT_FOUND = 4404
# Not in SPEC.md's list on purpose: the sign-in was renewed (the session key changed, as on a
# password change in this browser), so the client reconnects at once with its new cookie.
CLOSE_RECONNECT = 4012

# Why a socket's sign-in ended (the ``reason`` of a ``signed_out`` frame), as the member reads it.
SIGNED_OUT = "signed_out"
SESSION_ENDED = "session_ended"
PASSWORD_CHANGED = "password_changed"
ACCOUNT_CLOSED = "account_closed"
SIGNED_OUT_DETAILS = {
    SIGNED_OUT: "You are signed out, so this page has disconnected. Sign in again to take part.",
    SESSION_ENDED: "This sign-in was ended from another device (your account's sessions page). "
    "Sign in again to take part.",
    PASSWORD_CHANGED: "Your password was changed, so you are signed out here. Sign in again with "
    "the new password to take part.",
    ACCOUNT_CLOSED: "This account has been closed, so you are signed out.",
}


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


def signed_out_frame(reason: str) -> dict:
    """The frame a socket gets before it closes with 4401 because its sign-in ended."""
    return {
        "type": "error",
        "code": "signed_out",
        "reason": reason,
        "detail": SIGNED_OUT_DETAILS[reason],
        "client_msg_id": None,
    }


# Told to a socket whose roles changed (realtime.receivers) before it closes with
# CLOSE_RECONNECT: the client reconnects at once and is authorized afresh.
ROLES_CHANGED = {
    "type": "notice",
    "code": "reconnect",
    "detail": "Your roles in this space changed. Reconnecting…",
}


def mfa_required_frame() -> dict:
    """Why a socket of a member whose role needs two-factor authentication is refused, and where
    to set it up: the rule and the page of ``MfaRequiredMiddleware``."""
    return {
        "type": "error",
        "code": "mfa_required",
        "detail": community_policy.MFA_REQUIRED_DETAIL,
        "url": reverse("mfa_activate_totp"),
        "client_msg_id": None,
    }


def suspended_refusal(user) -> LiveRefusal:
    return LiveRefusal(
        "forbidden",
        f"Your account is suspended until {when(user.suspended_until)}"
        + (f": {user.suspension_reason}" if user.suspension_reason else ".")
        + " You can still read and export your data, but not take part in live sessions.",
        close=CLOSE_NOT_ALLOWED,
        until=user.suspended_until.isoformat(),
    )


# The sign-in's two reads, compiled once (realtime.compiled): every connect and every command.
_USER = CompiledRow(lambda user_id: User.objects.filter(pk=user_id), "user_id")
_SESSION_ROW = CompiledRow(
    lambda key: Session.objects.filter(session_key=key), "key", texts=("key",)
)
DB_SESSIONS = "django.contrib.sessions.backends.db"


def _session_data(session_key: str) -> dict:
    """What the sign-in session holds, as ``SessionStore.load`` reads it ({} when it is gone or
    expired); with the database engine through one compiled query."""
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if settings.SESSION_ENGINE != DB_SESSIONS:
        return store.load()
    if store.session_key is None:  # not a valid key
        return {}
    row = _SESSION_ROW.get(key=store.session_key)
    if row is None or row.expire_date <= timezone.now():
        return {}
    return store.decode(row.session_data)


def session_member(user_id: int, session_key: str | None) -> tuple[User | None, str | None]:
    """The member a socket's sign-in session still stands for, read again: ``(user, None)``, or
    ``(None, reason)`` when the session is gone or expired (signed out), no longer theirs, was
    signed with an older password (changed elsewhere), or the account is inactive (erased).

    Two queries whatever the data: the session row (through the configured engine) and the user.
    The checks are Django's own for each request (``django.contrib.auth.get_user``), without its
    writes: a socket never cycles or flushes the session it was opened with.
    """
    if not session_key:
        return None, SIGNED_OUT
    data = _session_data(session_key)
    if str(data.get(SESSION_KEY)) != str(user_id):
        return None, SIGNED_OUT
    return _member_signed_in(data, user_id)


def socket_sign_in(session_key: str | None) -> tuple[User | None, str | None]:
    """Who a live socket's sign-in session stands for, read in the consumer's first worker call
    instead of channels' ``AuthMiddleware`` (community.asgi): the same checks as
    :func:`session_member` (and as ``django.contrib.auth.get_user``), without its writes."""
    if not session_key:
        return None, SIGNED_OUT
    data = _session_data(session_key)
    try:
        user_id = User._meta.pk.to_python(data[SESSION_KEY])
    except (KeyError, ValidationError):
        return None, SIGNED_OUT
    return _member_signed_in(data, user_id)


def _member_signed_in(data: dict, user_id) -> tuple[User | None, str | None]:
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return None, SIGNED_OUT
    user = _USER.get(user_id=user_id)
    if user is None or not user.is_active:
        return None, ACCOUNT_CLOSED
    session_hash = data.get(HASH_SESSION_KEY) or ""
    hashes = [user.get_session_auth_hash(), *user.get_session_auth_fallback_hash()]
    if not any(constant_time_compare(session_hash, known) for known in hashes):
        return None, PASSWORD_CHANGED
    return user, None


def check_socket_member(user_id: int, session_key: str | None) -> User:
    """The member behind a socket, read again before a command does anything (SPEC.md principle
    5): raise a closing :class:`LiveRefusal` when their sign-in ended (4401) or their account is
    suspended (4403). Membership, bans, removals and mutes are the services' own checks, on the
    fresh user this returns."""
    user, reason = session_member(user_id, session_key)
    if user is None:
        frame = signed_out_frame(reason)
        raise LiveRefusal("signed_out", frame["detail"], close=CLOSE_NOT_SIGNED_IN, reason=reason)
    if user.is_suspended:
        raise suspended_refusal(user)
    return user


def shows_attribution(session: LiveSession) -> bool:
    """Whether frames and pages of ``session`` may say who said what (SPEC.md "Live sessions":
    after a Chatham House session ends, none do, whoever is asking)."""
    return not session.names_withheld


def can_see_session(user, session: LiveSession) -> bool:
    return community_policy.can_read_space(user, session.space)


# The member's membership of the session's space, read in the same query (each field a
# subquery on the one (user, space) row): community.policy.membership_of is seeded with it.
_MEMBERSHIP_FIELDS = (
    "pk",
    "status",
    "is_moderator",
    "is_facilitator",
    "muted_until",
    "mute_reason",
    "ban_reason",
)


def _room_query(user_id: int, session_id: int, base: QuerySet) -> QuerySet:
    removals = ParticipantRemoval.objects.filter(session=OuterRef("pk"), user_id=user_id)
    facilitating = LiveSession.facilitators.through.objects.filter(
        livesession_id=OuterRef("pk"), user_id=user_id
    )
    membership = Membership.objects.filter(user_id=user_id, space_id=OuterRef("space_id"))
    return (
        base.select_related("space")
        .filter(pk=session_id)
        .annotate(
            _removed=Exists(removals),
            _removal_reason=Subquery(removals.values("reason")[:1]),
            _facilitates=Exists(facilitating),
            **{
                f"_membership_{name}": Subquery(membership.values(name)[:1])
                for name in _MEMBERSHIP_FIELDS
            },
        )
    )


def _room_with_flags(user_id: int, session_id: int) -> QuerySet:
    from .selectors import with_room_flags

    return _room_query(user_id, session_id, with_room_flags(LiveSession.objects.all()))


# Compiled once per process (realtime.compiled): building these annotated queries cost several
# times what running them does, twice per join.
_ROOM = CompiledRow(
    lambda user_id, session_id: _room_query(user_id, session_id, LiveSession.objects.all()),
    "user_id",
    "session_id",
)
_ROOM_WITH_FLAGS = CompiledRow(_room_with_flags, "user_id", "session_id")


def room_session(user, session_id: int, *, flags: bool = False) -> LiveSession | None:
    """The session (with its space) as a socket's connect and ``hello`` ask about it, in one
    query whatever the data: with, for ``user``, whether a facilitator removed them (and why)
    and whether they are one of its facilitators, which :func:`room_refusal` and
    :func:`can_facilitate` then read instead of asking again. ``flags`` adds
    ``selectors.with_room_flags`` (whether the room has polls, waiting questions, hands)."""
    query = _ROOM_WITH_FLAGS if flags else _ROOM
    session = query.get(user_id=user.pk, session_id=session_id)
    if session is None:
        return None
    session._read_for = user.pk
    values = [getattr(session, f"_membership_{name}") for name in _MEMBERSHIP_FIELDS]
    membership = None
    if values[0] is not None:
        membership = Membership.from_db(
            "default",
            ["user_id", "space_id", "id", *_MEMBERSHIP_FIELDS[1:]],
            [user.pk, session.space_id, *values],
        )
    community_policy.remember_memberships(session.space, {user.pk: membership})
    return session


def remember_room(session: LiveSession, user, values: dict) -> None:
    """Keep on ``session`` what :func:`room_session` reads for ``user`` beside the session, read
    by another query (``values``: ``_removed``, ``_removal_reason``, ``_facilitates``), which
    :func:`room_refusal` and :func:`can_facilitate` then read instead of asking again."""
    session._removed = values["_removed"]
    session._removal_reason = values["_removal_reason"]
    session._facilitates = values["_facilitates"]
    session._read_for = user.pk


def _read_for(session: LiveSession, user) -> bool:
    """Whether ``session`` came from :func:`room_session` for ``user``."""
    return getattr(session, "_read_for", None) == getattr(user, "pk", None)


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
    if _read_for(session, user):
        return session._facilitates
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


def room_refusal(user, session: LiveSession) -> LiveRefusal | None:
    """Why ``user``, who may know ``session`` exists, cannot be in its room now, or None: banned
    from the space, not an active member of it, suspended (until when), or removed from this
    session by a facilitator. The one answer for the room page, the connect and every command.
    """
    space = session.space
    membership = community_policy.membership_of(user, space)
    if membership is not None and membership.status == Membership.Status.BANNED:
        reason = f": {membership.ban_reason}" if membership.ban_reason else "."
        return LiveRefusal(
            "forbidden", f"You have been banned from {space.name}{reason}", close=CLOSE_NOT_ALLOWED
        )
    if not community_policy.can_read_space(user, space):
        return LiveRefusal(
            "forbidden",
            f"Only active members of {space.name} can take part in its live sessions.",
            close=CLOSE_NOT_ALLOWED,
        )
    if getattr(user, "is_suspended", False):
        return suspended_refusal(user)
    if _read_for(session, user):
        removal = ParticipantRemoval(reason=session._removal_reason) if session._removed else None
    else:
        removal = ParticipantRemoval.objects.filter(session=session, user=user).first()
    if removal is not None:
        reason = f": {removal.reason}" if removal.reason else "."
        return LiveRefusal(
            "forbidden",
            f"A facilitator removed you from this session{reason} You cannot rejoin it.",
            close=CLOSE_NOT_ALLOWED,
        )
    return None


def can_read_transcript(user, session: LiveSession) -> bool:
    """Readers of the space, suspended members included; not a member a facilitator removed from
    the session, who gets none of what was said after (so, simply, none of it)."""
    return (
        can_see_session(user, session)
        and not ParticipantRemoval.objects.filter(session=session, user=user).exists()
    )


def check_read_transcript(user, session: LiveSession) -> None:
    check_see_session(user, session)
    if not can_read_transcript(user, session):
        raise PermissionDenied(
            "A facilitator removed you from this session, so its transcript is not available to you."
        )


def connect_refusal(user, session_id: int) -> tuple[int | None, LiveSession | None, dict | None]:
    """The close code for a WebSocket connect to session ``session_id`` (None to let it in), the
    session, and the frame that says why when the member may be told (4403).

    4404 when the session does not exist or its space is hidden from the user; 4403 when they
    can see the space but may not take part (:func:`room_refusal`).
    """
    if not user.is_authenticated:
        return CLOSE_NOT_SIGNED_IN, None, None
    session = room_session(user, session_id)
    if session is None:
        return CLOSE_NOT_FOUND, None, None
    membership = community_policy.membership_of(user, session.space)
    banned = membership is not None and membership.status == Membership.Status.BANNED
    if not banned and not community_policy.can_see_space(user, session.space):
        return CLOSE_NOT_FOUND, None, None
    refusal = room_refusal(user, session)
    if refusal is not None:
        frame = {
            "type": "error",
            "code": refusal.code,
            "detail": refusal.detail,
            "client_msg_id": None,
            **refusal.extra,
        }
        return CLOSE_NOT_ALLOWED, session, frame
    return None, session, None


def max_sockets_per_member() -> int:
    return settings.LIVE_MAX_SOCKETS_PER_MEMBER


def check_in_room(user, session: LiveSession) -> None:
    """Raise unless ``user`` may still be in the room (checked again on every command)."""
    refusal = room_refusal(user, session)
    if refusal is not None:
        raise refusal


def mute_refusal(user, session: LiveSession) -> LiveRefusal | None:
    """The ``muted`` refusal (why, and ``until`` when) if ``user`` is muted in the session's
    space now: the room shows it in the composer, the services raise it."""
    membership = community_policy.membership_of(user, session.space)
    if membership is None or not membership.is_muted:
        return None
    try:
        community_policy.check_participate(user, session.space)
    except PermissionDenied as exc:
        return LiveRefusal("muted", str(exc.args[0]), until=membership.muted_until.isoformat())
    return None  # pragma: no cover - muted means check_participate refuses


def check_not_muted(user, session: LiveSession) -> None:
    refusal = mute_refusal(user, session)
    if refusal is not None:
        raise refusal


def check_speak(user, session: LiveSession) -> bool:
    """Raise unless ``user`` may post to the stream now; return whether they facilitate."""
    check_in_room(user, session)
    check_not_muted(user, session)
    if session.status != LiveSession.Status.LIVE:
        raise LiveRefusal("not_live", "The session is not live, so the chat is closed.")
    facilitating = can_facilitate(user, session)
    if session.locked and not facilitating:
        raise LiveRefusal("locked", "The facilitator has locked the chat for now.")
    return facilitating


def composer_closed_reason(session: LiveSession, *, facilitating: bool) -> str:
    """Why Send is off for everyone in this state, or "" (the room page; live.js says the same
    on every ``state``). A member's own mute is shown on its own."""
    if session.status == LiveSession.Status.ENDED:
        return "The session has ended, so the chat is closed."
    if session.status != LiveSession.Status.LIVE:
        return "The chat opens when the facilitator starts the session."
    if session.locked and not facilitating:
        return "The facilitator has locked the chat for now."
    return ""


def call_host_allowed(host: str) -> bool:
    """Whether a video call link may point at ``host`` (settings.LIVE_CALL_HOSTS: exact hosts,
    and ``.example.com`` for the domain and its subdomains)."""
    host = (host or "").lower().rstrip(".")
    for allowed in settings.LIVE_CALL_HOSTS:
        if allowed.startswith("."):
            if host == allowed[1:] or host.endswith(allowed):
                return True
        elif host == allowed:
            return True
    return False


def shows_call_link(user, session: LiveSession, *, registered: bool) -> bool:
    """The call link: to registered members (and the session's facilitators) once the room is
    open, never before and never after the end."""
    if not session.call_url:
        return False
    if session.status not in (LiveSession.Status.OPEN, LiveSession.Status.LIVE):
        return False
    return registered or can_facilitate(user, session)


def can_use_backchannel(user, session: LiveSession) -> bool:
    """The session's facilitators, the space's facilitators and moderators, and staff."""
    return can_facilitate(user, session) or community_policy.can_moderate_space(user, session.space)


def room_roles(user, session: LiveSession) -> tuple[bool, bool, bool]:
    """What a socket may see, read once at connect: (sees authors: the space's moderators and
    staff; facilitates: :func:`can_facilitate`; backchannel: :func:`can_use_backchannel`), the
    last from the first two so that the connect asks the facilitators table once."""
    moderates = community_policy.can_moderate_space(user, session.space)
    facilitating = can_facilitate(user, session)
    return moderates, facilitating, facilitating or moderates


def check_backchannel(user, session: LiveSession) -> None:
    check_in_room(user, session)
    if not can_use_backchannel(user, session):
        raise LiveRefusal(
            "forbidden", "Only facilitators, moderators and staff can use the backchannel."
        )
    if session.status == LiveSession.Status.ENDED:
        raise LiveRefusal("not_live", "The session has ended, so the backchannel is closed.")


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


# Feedback after the end: anonymous, once, from those who came.

FEEDBACK_SHOWN_FROM = 5


def has_attended(user, session: LiveSession) -> bool:
    return Attendance.objects.filter(session=session, user=user).exists()


def feedback_refusal(user, session: LiveSession) -> str | None:
    """Why ``user`` (who may see the session) cannot give feedback on it now, or None."""
    if session.status != LiveSession.Status.ENDED:
        return "Feedback opens when the session has ended."
    if not has_attended(user, session):
        return "Only members who came to this session can give feedback on it."
    if FeedbackSubmission.objects.filter(session=session, user=user).exists():
        return "You have already given feedback on this session. Thank you."
    return None


def check_give_feedback(user, session: LiveSession) -> None:
    check_see_session(user, session)
    community_policy.check_not_suspended(user)
    refusal = feedback_refusal(user, session)
    if refusal is not None:
        raise PermissionDenied(refusal)


def check_see_feedback(user, session: LiveSession) -> None:
    check_see_session(user, session)
    if not can_facilitate(user, session):
        raise PermissionDenied("Only this session's facilitators can see its feedback.")
