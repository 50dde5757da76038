"""The audit log's public API: every moderation action is recorded here, append-only.

Call :func:`record` inside the transaction that made the change it records, so the entry and the
change commit or roll back together. Nothing updates or deletes an entry, with one exception the
law requires: erasure. :func:`deidentify` removes an erased member's name from the entries by,
about or naming them, and renames content whose author had it removed.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models

from .models import AuditAction, AuditEntry, ContentType, Space, User
from .names import names_of, replace_names

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


def deidentify(user: User, *, label: str, relabel: Iterable[models.Model] = ()) -> None:
    """Erasure: entries by or about ``user`` stay, with ``label`` in place of their name, and so
    do entries whose reason or target names them (a moderator's "Do not single out …"). Call it
    before the account's name is erased. Entries about each of ``relabel`` (a thread whose
    title its erased author had removed, the posts in it) take its label as it is now."""
    # QuerySet.update is refused on the audit log's own queryset; erasure is the sanctioned use.
    models.QuerySet.update(AuditEntry.objects.filter(actor=user), actor_label=label)
    about_them = AuditEntry.objects.filter(
        target_type=ContentType.objects.get_for_model(User), target_id=user.pk
    )
    models.QuerySet.update(about_them, target_label=label)
    for target in relabel:
        about_it = AuditEntry.objects.filter(
            target_type=ContentType.objects.get_for_model(target, for_concrete_model=False),
            target_id=target.pk,
        )
        models.QuerySet.update(
            about_it.exclude(target_label=_label(target)), target_label=_label(target)
        )
    names = names_of(user)
    if not names:
        return
    naming = models.Q()
    for name in names:
        naming |= models.Q(reason__icontains=name) | models.Q(target_label__icontains=name)
    for entry in AuditEntry.objects.filter(naming).only("pk", "reason", "target_label"):
        reason = replace_names(entry.reason, names, label)
        target_label = replace_names(entry.target_label, names, label)
        if (reason, target_label) != (entry.reason, entry.target_label):
            models.QuerySet.update(
                AuditEntry.objects.filter(pk=entry.pk), reason=reason, target_label=target_label
            )
