"""Batched email of followed activity (``manage.py send_digests``, for cron).

Visibility is checked when the email is sent, not when the notification was made: someone who
left a space since gets nothing from it. An anonymous author is never named, and a post under a
content note is summarised by its note, never by its text (threads.content_notes).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from community import mail
from community.models import EmailFrequency, User

from . import content_notes
from .email_choices import with_frequency
from .models import ANONYMOUS_LABEL, Notification, NotificationKind

EXCERPT_CHARS = 200


def _line(note: Notification) -> dict:
    if note.kind == NotificationKind.MODERATION:
        return {
            "summary": f"From the moderators: {note.text}",
            "excerpt": "",
            "noted": False,
            "path": "",
        }
    if note.actor_id and not (note.post and note.post.anonymous):
        who = note.actor.display_name
    else:
        who = ANONYMOUS_LABEL
    verb = {
        NotificationKind.REPLY: "replied to",
        NotificationKind.QUOTE: "quoted you in",
        NotificationKind.MENTION: "mentioned you in",
        NotificationKind.NEW_THREAD: "started",
    }.get(note.kind, "posted in")
    excerpt = content_notes.plain_excerpt(note.post, EXCERPT_CHARS) if note.post_id else ""
    path = note.post.get_absolute_url() if note.post_id else note.thread.get_absolute_url()
    return {
        "summary": f"{who} {verb} “{note.thread.title}” in {note.thread.space.name}",
        "excerpt": excerpt,
        # The excerpt is the content note, not a quotation of the post: shown without quotes.
        "noted": bool(note.post_id and content_notes.note_of(note.post)),
        "path": path,
    }


# How long a member's oldest waiting item waits, by their choice, before an email carries it
# with everything since: at most one email a day (or a week) whenever the job runs.
WAIT = {
    EmailFrequency.IMMEDIATELY: timedelta(0),
    EmailFrequency.DAILY: timedelta(days=1),
    EmailFrequency.WEEKLY: timedelta(days=7),
}


def send_digest(user: User, *, base_url: str, now=None, connection=None) -> int:
    """Email ``user`` what they have not been emailed about yet and is due by their choices
    (threads.email_choices). Returns the items sent."""
    now = now or timezone.now()
    with transaction.atomic():
        # ``of``: only the notification rows are locked (PostgreSQL refuses FOR UPDATE on the
        # nullable side of the thread join the choice subqueries need).
        pending = list(
            with_frequency(
                Notification.objects.select_for_update(of=("self",)).filter(
                    recipient=user, emailed_at__isnull=True, read_at__isnull=True
                )
            ).values_list("pk", "email_frequency", "created_at")
        )
        oldest: dict[str, datetime] = {}
        for _pk, chosen, created in pending:
            oldest[chosen] = min(created, oldest.get(chosen, created))
        due_choices = {
            chosen
            for chosen, wait in WAIT.items()
            if chosen in oldest and oldest[chosen] <= now - wait
        }
        due = [pk for pk, chosen, _created in pending if chosen in due_choices]
        # "Never" is settled as if sent, so it is not looked at again.
        settled = due + [pk for pk, chosen, _ in pending if chosen == EmailFrequency.NEVER]
        if not settled:
            return 0
        visible = list(
            Notification.objects.visible_to(user)
            .filter(pk__in=due)
            .select_related("actor", "post__thread__space", "thread__space")
            .order_by("created_at")
        )
        # Everything due is settled now, visible or not: nothing stale is sent later.
        Notification.objects.filter(pk__in=settled).update(emailed_at=timezone.now())
    if not visible:
        return 0
    items = [_line(note) for note in visible]
    context = {
        "user": user,
        "items": items,
        "base_url": base_url.rstrip("/"),
    }
    subject = (
        f"{len(items)} update{'s' if len(items) != 1 else ''} from the Race Equality Peer Forum"
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("threads/email/digest.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        connection=connection,
    )
    message.attach_alternative(render_to_string("threads/email/digest.html", context), "text/html")
    mail.brand(message).send()
    return len(items)


def send_digests(*, base_url: str, now=None) -> tuple[int, int]:
    """Send every member with unread, un-emailed notifications that are due one email (run it
    often: "straight away" means at the job's next run). Returns (members, items)."""
    users = User.objects.filter(
        is_active=True,
        notifications__emailed_at__isnull=True,
        notifications__read_at__isnull=True,
    ).distinct()
    members = items = 0
    connection = get_connection()
    for user in users.iterator():
        sent = send_digest(user, base_url=base_url, now=now, connection=connection)
        if sent:
            members += 1
            items += sent
    return members, items
