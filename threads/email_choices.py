"""Email choices: how often a member is emailed about a space or a thread they follow.

The thread's choice wins, then the space's, then the member's usual ``User.email_frequency``;
moderators' notices (about no thread) follow the usual choice. threads.digests sends each run's
frequency from :func:`with_frequency`.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce

from community.models import EmailFrequency, Space, User

from .models import EmailChoice, Notification, Thread

USUAL = ""


@transaction.atomic
def choose_email(
    *, actor: User, space: Space, thread: Thread | None = None, frequency: str
) -> bool:
    """Set the member's choice for ``space`` (or ``thread`` in it); ``USUAL`` removes it. The
    caller loaded the space or thread through the visibility selectors. Returns whether it
    changed."""
    if frequency != USUAL and frequency not in EmailFrequency.values:
        raise ValidationError({"frequency": "Choose how often you would like an email."})
    if thread is not None and thread.space_id != space.pk:
        raise ValueError("The thread is not in this space.")
    mine = EmailChoice.objects.filter(user=actor, space=space, thread=thread)
    if frequency == USUAL:
        deleted, _ = mine.delete()
        return bool(deleted)
    updated = mine.exclude(frequency=frequency).update(frequency=frequency)
    if updated:
        return True
    _, created = EmailChoice.objects.get_or_create(
        user=actor, space=space, thread=thread, defaults={"frequency": frequency}
    )
    return created


def choice_for(user, space: Space, thread: Thread | None = None) -> str:
    """The member's own choice here, or ``USUAL``."""
    if not user.is_authenticated:
        return USUAL
    if thread is not None and thread.space_id == space.pk and hasattr(thread, "my_email_choice"):
        # Annotated by selectors.thread_in_space(page_state=True).
        return thread.my_email_choice or USUAL
    found = EmailChoice.objects.filter(user=user, space=space, thread=thread).first()
    return found.frequency if found else USUAL


def with_frequency(qs: QuerySet[Notification]) -> QuerySet[Notification]:
    """Each notification with ``email_frequency``: its thread's choice, else its space's, else
    the recipient's usual one. Subqueries in the same query."""
    on_thread = EmailChoice.objects.filter(
        user=OuterRef("recipient_id"), thread=OuterRef("thread_id")
    )
    on_space = EmailChoice.objects.filter(
        user=OuterRef("recipient_id"), space=OuterRef("thread__space_id"), thread__isnull=True
    )
    return qs.annotate(
        email_frequency=Coalesce(
            Subquery(on_thread.values("frequency")[:1]),
            Subquery(on_space.values("frequency")[:1]),
            F("recipient__email_frequency"),
        )
    )


def export_for(user: User) -> list[dict]:
    return [
        {"space": c.space.name, "thread_id": c.thread_id, "frequency": c.frequency}
        for c in EmailChoice.objects.filter(user=user).select_related("space").order_by("pk")
    ]


def forget_member(user: User) -> int:
    deleted, _ = EmailChoice.objects.filter(user=user).delete()
    return deleted
