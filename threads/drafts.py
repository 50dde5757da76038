"""Drafts kept on the server: one per member per thread (a reply) and per space (a new thread).

Only their writer reads a draft: every function takes the member and touches only their rows.
Callers load the space or thread through the visibility selectors first, so a draft is never
saved for something the member cannot see.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from community.models import Space, User

from .models import DRAFT_BODY_MAX, TITLE_MAX, Draft, Thread


def _check_lengths(title: str, body: str) -> None:
    errors = {}
    if len(body) > DRAFT_BODY_MAX:
        errors["body"] = (
            f"Your draft is too long to save: {len(body):,} characters, and the limit is "
            f"{DRAFT_BODY_MAX:,}. Your text is still here: shorten it to save it."
        )
    if len(title) > TITLE_MAX:
        errors["title"] = (
            f"The title is too long to save: {len(title):,} characters, and the limit is "
            f"{TITLE_MAX:,}."
        )
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def save_draft(
    *, actor: User, space: Space, thread: Thread | None = None, title: str = "", body: str = ""
) -> Draft | None:
    """Store what the member has typed (an empty form removes the draft). Over the length
    limits: ``ValidationError`` and nothing stored changes."""
    title = title or ""
    body = body or ""
    _check_lengths(title, body)
    if thread is not None and thread.space_id != space.pk:
        raise ValueError("The thread is not in this space.")
    mine = Draft.objects.filter(user=actor, space=space, thread=thread)
    if not title.strip() and not body.strip():
        mine.delete()
        return None
    draft = mine.select_for_update().first()
    if draft is None:
        draft = Draft(user=actor, space=space, thread=thread)
    draft.title = title if thread is None else ""
    draft.body = body
    draft.updated_at = timezone.now()
    draft.save()
    return draft


def draft_for(user, space: Space, thread: Thread | None = None) -> Draft | None:
    """The member's own draft for this form, if any."""
    if not user.is_authenticated:
        return None
    if thread is not None and thread.space_id == space.pk and hasattr(thread, "my_draft_id"):
        # Annotated by selectors.thread_in_space(page_state=True): every field of the draft.
        if thread.my_draft_id is None:
            return None
        return Draft(
            id=thread.my_draft_id,
            user=user,
            space=space,
            thread=thread,
            title=thread.my_draft_title,
            body=thread.my_draft_body,
            updated_at=thread.my_draft_updated_at,
        )
    return Draft.objects.filter(user=user, space=space, thread=thread).first()


def discard_draft(*, actor: User, space: Space, thread: Thread | None = None) -> bool:
    """Called once the reply or thread is posted."""
    if not actor.is_authenticated:
        return False
    deleted, _ = Draft.objects.filter(user=actor, space=space, thread=thread).delete()
    return bool(deleted)


def export_for(user: User) -> list[dict]:
    return [
        {
            "space": d.space.name,
            "thread_id": d.thread_id,
            "title": d.title,
            "body": d.body,
            "updated_at": d.updated_at.isoformat(),
        }
        for d in Draft.objects.filter(user=user).select_related("space").order_by("updated_at")
    ]


def forget_member(user: User) -> int:
    deleted, _ = Draft.objects.filter(user=user).delete()
    return deleted
