"""When a sign-in ends, its open sockets (live rooms and thread pages) learn it at once.

Connected in :meth:`realtime.apps.RealtimeConfig.ready` to Django's and allauth's own signals:
signing out (that session), ending sessions from the account's sessions page (allauth deletes
their ``UserSession`` rows), and changing or resetting the password (every other session). Each
socket also checks its sign-in again before every command (``policy.check_socket_member``), so a
session ended any other way is caught there.

Roles work the same way: a socket reads what its member may see (the space's moderators' author
names, the facilitators' console, the backchannel) when it connects. Whatever those roles are
read from (a membership's role flags or status, staff, a session's facilitators, an MFA
authenticator) tells the member's sockets when it is saved or deleted, by any path (the
services, the admin, a shell), and each socket reads the roles again (``roles_on_commit``).
"""

from __future__ import annotations

from django.conf import settings

from . import policy
from .broadcast import account_group, auth_session_group, end_sockets_on_commit, roles_on_commit

# The fields of an account that a socket's roles are read from.
USER_ROLE_FIELDS = frozenset({"is_staff", "is_superuser", "is_active"})

RENEWED = {
    "type": "notice",
    "code": "reconnect",
    "detail": "Your sign-in was renewed. Reconnecting…",
}


def end_signed_out_session(sender, request=None, user=None, **kwargs) -> None:
    """``user_logged_out``: that session's sockets close with 4401 (the others stay)."""
    key = getattr(getattr(request, "session", None), "session_key", None)
    if user is None or not key:
        return
    end_sockets_on_commit(
        auth_session_group(key),
        code=policy.CLOSE_NOT_SIGNED_IN,
        frame=policy.signed_out_frame(policy.SIGNED_OUT),
    )


def end_ended_session(sender, instance, **kwargs) -> None:
    """``post_delete`` of allauth's ``UserSession``: the session was ended (from another device,
    or purged because it no longer signs anyone in)."""
    end_sockets_on_commit(
        auth_session_group(instance.session_key),
        code=policy.CLOSE_NOT_SIGNED_IN,
        frame=policy.signed_out_frame(policy.SESSION_ENDED),
    )


def end_other_sessions(sender, request=None, user=None, **kwargs) -> None:
    """``password_changed``, ``password_set``, ``password_reset``: every socket of the member
    closes with 4401, except those of the browser that made the change (when signed in there).

    Django keeps that browser signed in by giving its session a new key
    (``update_session_auth_hash``); the key its sockets were opened with is gone, so they are
    told to reconnect, which they do with the new cookie."""
    if user is None:
        return
    keep: list[str] = []
    signed_in = getattr(request, "user", None)
    if signed_in is not None and signed_in.is_authenticated and signed_in.pk == user.pk:
        current = request.session.session_key
        before = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        keep = [auth_session_group(key) for key in (current, before) if key]
        if before and current and before != current:
            end_sockets_on_commit(
                auth_session_group(before), code=policy.CLOSE_RECONNECT, frame=RENEWED
            )
    end_sockets_on_commit(
        account_group(user.pk),
        code=policy.CLOSE_NOT_SIGNED_IN,
        frame=policy.signed_out_frame(policy.PASSWORD_CHANGED),
        keep=keep,
    )


# -- roles ------------------------------------------------------------------------------------


def membership_changed(sender, instance, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of a ``Membership``: roles in that space may differ."""
    roles_on_commit(instance.user_id, space_id=instance.space_id)


def account_changed(sender, instance, created=False, update_fields=None, **kwargs) -> None:
    """``post_save`` of a ``User``: staff (or the account's being active) may differ. A save of
    other fields only (the sign-in's ``last_login``) says nothing."""
    if created or (update_fields is not None and not USER_ROLE_FIELDS & set(update_fields)):
        return
    roles_on_commit(instance.pk, space_id=None)


def authenticator_changed(sender, instance, **kwargs) -> None:
    """``post_save`` / ``post_delete`` of an allauth MFA ``Authenticator``: whether the member
    must set up two-factor authentication first may differ."""
    roles_on_commit(instance.user_id, space_id=None)


def facilitators_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """``m2m_changed`` of ``LiveSession.facilitators``, from either side, clear included."""
    from .models import LiveSession

    if action == "pre_clear":
        # The rows are about to go: remember whom they named.
        if reverse:
            instance._cleared_facilitation = [(instance.pk, None)]
        else:
            rows = LiveSession.facilitators.through.objects.filter(livesession_id=instance.pk)
            ids = rows.values_list("user_id", flat=True)
            instance._cleared_facilitation = [(pk, instance.space_id) for pk in ids]
        return
    if action == "post_clear":
        changed = getattr(instance, "_cleared_facilitation", [])
    elif action in ("post_add", "post_remove") and pk_set:
        # From the member's side (``user.….add(session)``) the sessions may be of any space.
        changed = [(instance.pk, None)] if reverse else [(pk, instance.space_id) for pk in pk_set]
    else:
        return
    for user_id, space_id in changed:
        roles_on_commit(user_id, space_id=space_id)
