"""The audit log's public API: every moderation action is recorded here, append-only.

Call :func:`record` inside the transaction that made the change it records, so the entry and the
change commit or roll back together. Nothing updates or deletes an entry, with one exception the
law requires: :func:`deidentify` removes an erased member's name from the entries about them.
"""

from __future__ import annotations

from django.db import models

from .models import AuditAction, AuditEntry, ContentType, Space, User

__all__ = ["AuditAction", "AuditEntry", "deidentify", "entries_visible_to", "record"]


def _label(target) -> str:
    """A short description that never names an anonymous author (content models say how)."""
    if target is None:
        return ""
    describe = getattr(target, "audit_label", None)
    text = describe() if callable(describe) else str(target)
    return text[:200]


def record(
    *,
    actor: User | None,
    action: AuditAction,
    space: Space | None,
    target=None,
    reason: str = "",
) -> AuditEntry:
    """Append one entry. ``actor`` is None for automatic actions (auto-hide at the threshold)."""
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}: add it to AuditAction.")
    return AuditEntry.objects.create(
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=str(actor)[:120] if actor is not None else "",
        action=action,
        space=space,
        space_label=space.name[:120] if space is not None else "",
        target_type=(
            ContentType.objects.get_for_model(target, for_concrete_model=False)
            if target is not None
            else None
        ),
        target_id=getattr(target, "pk", None),
        target_label=_label(target),
        reason=(reason or "").strip(),
    )


def entries_visible_to(user) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.visible_to(user)


def deidentify(user: User, *, label: str) -> None:
    """Erasure: entries by or about ``user`` stay, with ``label`` in place of their name."""
    # QuerySet.update is refused on the audit log's own queryset; this is the one sanctioned use.
    models.QuerySet.update(AuditEntry.objects.filter(actor=user), actor_label=label)
    about_them = AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(User), target_id=user.pk
    )
    models.QuerySet.update(about_them, target_label=label)
