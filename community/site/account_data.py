"""The member's own data: a complete JSON export, and erasure after a grace period.

Reads go through the member's own rows only: what they wrote, did and were sent. Nothing of
another member appears beyond what the member could see (a space's name, a thread's title).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.apps import apps
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from community import audit, signals
from community import services as community_services
from community.models import User
from community.names import names_of, replace_names
from moderation import services as moderation_services
from realtime import feeds as realtime_feeds
from realtime import services as realtime_services
from threads import bookmarks as threads_bookmarks
from threads import drafts as threads_drafts
from threads import email_choices as threads_email_choices
from threads import services as threads_services
from threads.commitments import live_summaries
from threads.commitments import selectors as commitments_selectors
from threads.commitments import services as commitments_services
from threads.models import FORMER_MEMBER_LABEL

DELETION_GRACE = timedelta(days=7)
FORMER_MEMBER = FORMER_MEMBER_LABEL
REMOVED_BODY = threads_services.REMOVED_BODY
REMOVED_TITLE = threads_services.REMOVED_TITLE


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _model(label: str):
    try:
        return apps.get_model(label)
    except LookupError:
        return None


def build_export(user: User) -> dict[str, Any]:
    """Everything ``user`` wrote or did, as plain JSON-ready data."""
    data: dict[str, Any] = {
        "format": "race-equality-peer-forum-export/1",
        "exported_at": _iso(timezone.now()),
        "profile": {
            "email": user.email,
            "display_name": user.display_name,
            "organisation": user.organisation,
            "job_title": user.job_title,
            "pronouns": user.pronouns,
            "bio": user.bio,
            "date_joined": _iso(user.date_joined),
            "email_frequency": user.email_frequency,
            "email_choices": threads_email_choices.export_for(user),
            "suspended_until": _iso(user.suspended_until),
            "suspension_reason": user.suspension_reason,
        },
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in user.emailaddress_set.all()
        ],
        "memberships": [
            {
                "space": m.space.name,
                "status": m.status,
                "moderator": m.is_moderator,
                "facilitator": m.is_facilitator,
                "muted_until": _iso(m.muted_until),
                "mute_reason": m.mute_reason,
                "ban_reason": m.ban_reason,
                "request_message": m.request_message,
                "since": _iso(m.created_at),
            }
            for m in user.memberships.select_related("space")
        ],
        "guidelines_accepted": [
            {
                "guidelines": str(a.version),
                "version": a.version.version,
                "accepted_at": _iso(a.accepted_at),
            }
            for a in user.guidelines_acceptances.select_related("version__space")
        ],
        # Not whom they invited: an invitee's address is the invitee's personal data.
        "invitations_sent": [
            {
                "space": i.space.name if i.space_id else None,
                "for_one_address": bool(i.email),
                "created_at": _iso(i.created_at),
                "expires_at": _iso(i.expires_at),
                "used": i.used_at is not None,
                "revoked": i.revoked,
            }
            for i in user.invitations_sent.select_related("space")
        ],
        "sessions": _sessions_export(user),
    }
    data.update(_threads_export(user))
    data["bookmarks"] = threads_bookmarks.export_for(user)
    data["drafts"] = threads_drafts.export_for(user)
    data.update(_moderation_export(user))
    data.update(_live_export(user))
    data.update(commitments_selectors.export_for(user))
    return data


def _sessions_export(user: User) -> list[dict[str, Any]]:
    """Where and how they signed in (never the session key, which is a credential)."""
    UserSession = _model("usersessions.UserSession")
    if UserSession is None:
        return []
    return [
        {
            "ip": s.ip,
            "user_agent": s.user_agent,
            "created_at": _iso(s.created_at),
            "last_seen_at": _iso(s.last_seen_at),
        }
        for s in UserSession.objects.filter(user=user).order_by("created_at")
    ]


def _threads_export(user: User) -> dict[str, Any]:
    Thread, Post = _model("threads.Thread"), _model("threads.Post")
    if Thread is None or Post is None:
        return {}
    Reaction, ThreadFollow = _model("threads.Reaction"), _model("threads.ThreadFollow")
    SpaceFollow, Notification = _model("threads.SpaceFollow"), _model("threads.Notification")
    posts = (
        Post.objects.filter(author=user)
        .select_related("thread__space")
        .prefetch_related("revisions")
        .order_by("created_at")
    )
    out: dict[str, Any] = {
        "threads": [
            {
                "id": t.pk,
                "space": t.space.name,
                "title": t.title,
                "kind": t.kind,
                "visibility": t.visibility,
                "anonymous": t.anonymous,
                "content_note": t.content_note,
                "created_at": _iso(t.created_at),
            }
            for t in Thread.objects.filter(author=user)
            .select_related("space")
            .order_by("created_at")
        ],
        "posts": [
            {
                "id": p.pk,
                "thread_id": p.thread_id,
                "thread_title": p.thread.title,
                "space": p.thread.space.name,
                "anonymous": p.anonymous,
                "body": p.body,
                "status": p.status,
                "deleted": p.is_deleted,
                "created_at": _iso(p.created_at),
                "edited_at": _iso(p.edited_at),
                # Every earlier text of their own post, a moderator's edit included (the
                # original is theirs); who moderated is not.
                "revisions": [
                    {
                        "body": r.body,
                        "title": r.title,
                        "edited_by_moderator": r.edited_by_id not in (None, user.pk),
                        "reason": r.reason,
                        "created_at": _iso(r.created_at),
                    }
                    for r in p.revisions.all()
                ],
            }
            for p in posts
        ],
    }
    if Reaction is not None:
        out["reactions"] = [
            {"post_id": r.post_id, "kind": r.kind, "created_at": _iso(r.created_at)}
            for r in Reaction.objects.filter(user=user)
        ]
    if ThreadFollow is not None and SpaceFollow is not None:
        out["follows"] = {
            "threads": [
                {"thread_id": f.thread_id, "since": _iso(f.created_at)}
                for f in ThreadFollow.objects.filter(user=user)
            ],
            "spaces": [
                {"space": f.space.name, "since": _iso(f.created_at)}
                for f in SpaceFollow.objects.filter(user=user).select_related("space")
            ],
        }
    if Notification is not None:
        out["notifications"] = [
            {
                "kind": n.kind,
                "text": n.text,
                "created_at": _iso(n.created_at),
                "read_at": _iso(n.read_at),
            }
            for n in Notification.objects.filter(recipient=user).order_by("created_at")
        ]
    return out


def _moderation_export(user: User) -> dict[str, Any]:
    Flag = _model("moderation.Flag")
    if Flag is None:
        return {}
    return {
        "flags_filed": [
            {
                "kind": f.kind,
                "space": f.space.name,
                "reason": f.reason,
                "details": f.details,
                "status": f.status,
                "outcome_reason": f.outcome_reason,
                "created_at": _iso(f.created_at),
            }
            for f in Flag.objects.filter(flagger=user).select_related("space")
        ],
        # Their own appeals: what they wrote and what was decided, never who decided it.
        "appeals": [
            {
                "decision": a.entry.get_action_display(),
                "space": a.space.name if a.space_id else "",
                "statement": a.statement,
                "status": a.status,
                "decision_reason": a.decision_reason,
                "created_at": _iso(a.created_at),
            }
            for a in _model("moderation.Appeal")
            .objects.filter(appellant=user)
            .select_related("entry", "space")
        ],
    }


def _live_export(user: User) -> dict[str, Any]:
    LiveEvent, Registration = _model("realtime.LiveEvent"), _model("realtime.Registration")
    if LiveEvent is None:
        return {}
    out: dict[str, Any] = {
        "live_messages": [
            {
                "session": e.session.title,
                "kind": e.kind,
                "anonymous": e.anonymous,
                "body": e.body,
                "created": _iso(e.created),
            }
            for e in LiveEvent.objects.filter(author=user, kind__in=["message", "question"])
            .select_related("session")
            .order_by("created")
        ]
    }
    BreakoutMessage = _model("realtime.BreakoutMessage")
    if BreakoutMessage is not None:
        # Their own words in breakout rooms (realtime.breakouts): never the others' in the room.
        out["live_breakout_messages"] = [
            {
                "session": m.room.round.session.title,
                "room": m.room.name,
                "body": m.body,
                "created": _iso(m.created),
            }
            for m in BreakoutMessage.objects.filter(author=user, removed=False)
            .select_related("room__round__session")
            .order_by("created")
        ]
    QuestionUpvote = _model("realtime.QuestionUpvote")
    if QuestionUpvote is not None:
        # Which question, not its text or asker: those are another member's.
        out["live_question_upvotes"] = [
            {
                "session": u.question.session.title,
                "question_seq": u.question.seq,
                "created": _iso(u.created),
            }
            for u in QuestionUpvote.objects.filter(user=user)
            .select_related("question__session")
            .order_by("created")
        ]
    if Registration is not None:
        out["live_registrations"] = [
            {
                "session": r.session.title,
                "registered_at": _iso(
                    getattr(r, "created", None) or getattr(r, "created_at", None)
                ),
            }
            for r in Registration.objects.filter(user=user).select_related("session")
        ]
    return out


@transaction.atomic
def request_deletion(*, actor: User, remove_content: bool) -> bool:
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.deletion_requested_at is not None:
        return False
    user.deletion_requested_at = timezone.now()
    user.delete_content = remove_content
    user.save(update_fields=["deletion_requested_at", "delete_content"])
    return True


@transaction.atomic
def cancel_deletion(*, actor: User) -> bool:
    user = User.objects.select_for_update().get(pk=actor.pk)
    if user.deletion_requested_at is None:
        return False
    user.deletion_requested_at = None
    user.delete_content = False
    user.save(update_fields=["deletion_requested_at", "delete_content"])
    return True


def deletion_due_at(user: User):
    return user.deletion_requested_at + DELETION_GRACE if user.deletion_requested_at else None


@transaction.atomic
def erase_account(user: User) -> None:
    """Erase personal data. Content stays as "Former member" unless its removal was asked for.

    Each app rewrites its own rows (while the member's name is still known, to find it in text
    others keep); then the account itself is emptied. Afterwards neither their name nor their
    address is stored anywhere, nor, with ``delete_content``, anything they wrote.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.erased_at is not None:
        return
    remove = user.delete_content
    addresses = {user.email, *user.emailaddress_set.values_list("email", flat=True)}
    names = names_of(user)
    retitled = threads_services.erase_author_content(
        user=user, remove_text=remove, label=FORMER_MEMBER
    )
    threads_bookmarks.forget_member(user)
    threads_drafts.forget_member(user)
    threads_email_choices.forget_member(user)
    if remove:
        # Before realtime empties their messages: a published summary quotes them by text.
        live_summaries.forget_quotes_of(user)
    realtime_services.erase_author_messages(user=user, remove_text=remove)
    realtime_feeds.forget_member(user)
    moderation_services.forget_member(user)
    community_services.forget_invitations_to(user, addresses)
    # Commitments: deleted with the member's words, or kept as "Former member"'s with no emails.
    commitments_services.erase_member_content(user=user, remove_content=remove)
    # The audit log is append-only; erasure is the one change the law requires of it: the
    # entries stay, their names go.
    audit.deidentify(user, label=FORMER_MEMBER, relabel=retitled)
    _deidentify_admin_log(user, [*names, *addresses], relabel=retitled)
    user.emailaddress_set.all().delete()
    _model("mfa.Authenticator").objects.filter(user=user).delete()
    user.email = f"erased-{user.pk}@invalid.example"
    user.display_name = FORMER_MEMBER
    user.organisation = user.job_title = user.pronouns = user.bio = ""
    user.suspension_reason = ""
    user.set_unusable_password()
    user.is_active = False
    user.is_staff = user.is_superuser = False
    user.erased_at = timezone.now()
    user.save()
    user.memberships.all().delete()
    # Before the sessions go: their open sockets are told the account is closed, not only that
    # a sign-in ended.
    signals.standing_changed.send(
        sender=User, user=user, space=None, change=signals.ERASED, until=None, reason="", actor=None
    )
    _delete_sessions_of(user)


def _deidentify_admin_log(user: User, names: list[str], *, relabel) -> None:
    """Django admin's history names what it changed (``str()`` of the account, of an
    invitation to their address, of a thread by its title): the entries stay, the names and
    addresses go, and a retitled thread is named as it is now."""

    def about(target):
        return LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
            object_id=str(target.pk),
        )

    about(user).update(object_repr=FORMER_MEMBER)
    for target in relabel:
        about(target).update(object_repr=str(target)[:200])
    naming = Q()
    for name in names:
        naming |= Q(object_repr__icontains=name) | Q(change_message__icontains=name)
    for entry in LogEntry.objects.filter(naming) if names else []:
        entry.object_repr = replace_names(entry.object_repr, names, FORMER_MEMBER)
        entry.change_message = replace_names(entry.change_message, names, FORMER_MEMBER)
        entry.save(update_fields=["object_repr", "change_message"])


def _delete_sessions_of(user: User) -> None:
    UserSession = _model("usersessions.UserSession")
    if UserSession is not None:
        keys = list(UserSession.objects.filter(user=user).values_list("session_key", flat=True))
        Session.objects.filter(session_key__in=keys).delete()
        UserSession.objects.filter(user=user).delete()


def erase_due_accounts(now=None) -> int:
    """Erase every account whose grace period has ended. Idempotent; for cron."""
    now = now or timezone.now()
    due = User.objects.filter(
        deletion_requested_at__lte=now - DELETION_GRACE, erased_at__isnull=True
    )
    count = 0
    for user in due:
        erase_account(user)
        count += 1
    return count
