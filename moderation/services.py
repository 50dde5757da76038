"""Every moderation write: flags, their resolution, and watched words.

Moderation knows no content model: it reaches an item through its kind's adapter
(:mod:`moderation.registry`), and the owning app's services do the hiding, restoring and editing.
Sanctions are community core's (:mod:`community.sanctions`); so is the audit log
(:func:`community.audit.record`). Each service runs in one transaction, in this order: policy
check → validate → save → audit entry; each returns whether anything changed, so a repeated or
concurrent action is harmless (the item is locked through its kind and re-read first).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from community import audit, notices, signals
from community.models import AuditAction, Space, User

from . import policy, registry
from .models import Appeal, Flag, FlagReason, WatchedWord
from .text import normalize

ALREADY_FLAGGED = (
    "You have already flagged this. A moderator will review it; you can withdraw your report "
    "from Your reports."
)
DETAILS_MAX = 1000


def _content_type(target) -> ContentType:
    return ContentType.objects.get_for_model(target, for_concrete_model=False)


def _open_flags(target) -> models.QuerySet[Flag]:
    return Flag.objects.open().filter(target_type=_content_type(target), target_id=target.pk)


def _space(kind: registry.ModeratableKind, target, space: Space | None) -> Space:
    """The space an action on ``target`` happens in: its own, or (for a member) the one named."""
    own = kind.space_of(target)
    if own is not None:
        return own
    if space is None:
        raise Http404("No such item.")
    return space


# Flags ----------------------------------------------------------------------------------------


@transaction.atomic
def flag_item(
    *,
    actor: User,
    target,
    reason: str,
    details: str = "",
    space: Space | None = None,
    email_outcome: bool = False,
) -> Flag:
    """Report an item to its space's moderators. ``space`` names where a member is flagged
    (content is flagged in its own space)."""
    kind = registry.kind_of(target)
    space = kind.flagged_in(actor, target, space)
    policy.check_flag(actor, space)
    author = kind.author_of(target)
    if author is not None and author.pk == actor.pk:
        raise PermissionDenied(
            "You cannot flag yourself." if target == author else "You cannot flag your own post."
        )
    if reason not in FlagReason.values:
        raise ValidationError({"reason": "Choose the reason that fits best."})
    details = (details or "").strip()
    if len(details) > DETAILS_MAX:
        raise ValidationError({"details": "Keep the details under 1,000 characters."})
    target = kind.lock(target)
    if _open_flags(target).filter(flagger=actor).exists():
        raise ValidationError(ALREADY_FLAGGED)
    flag = Flag(
        flagger=actor,
        kind=kind.name,
        target_type=_content_type(target),
        target_id=target.pk,
        target_user=author,
        space=space,
        reason=reason,
        details=details,
        email_outcome=bool(email_outcome),
    )
    flag.full_clean()
    flag.save()
    _autohide_if_due(kind, target, space)
    return flag


def flag_post(*, actor: User, post, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=post, reason=reason, details=details)


def flag_thread(*, actor: User, thread, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=thread, reason=reason, details=details)


def flag_member(*, actor: User, member: User, space: Space, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=member, space=space, reason=reason, details=details)


@transaction.atomic
def raise_automatic_flag(*, target, space: Space, details: str) -> Flag | None:
    """A flag without a flagger (a ``flag`` watched word). One open automatic flag per item."""
    kind = registry.kind_of(target)
    if _open_flags(target).filter(flagger=None).exists():
        return None
    return Flag.objects.create(
        flagger=None,
        kind=kind.name,
        target_type=_content_type(target),
        target_id=target.pk,
        target_user=kind.author_of(target),
        space=space,
        reason=FlagReason.OTHER,
        details=details,
    )


def _autohide_if_due(kind: registry.ModeratableKind, target, space: Space) -> None:
    """Hide an item once ``space.autohide_threshold`` different members have open flags on it.
    ``target`` is locked; the owner audits the automatic hide and tells the author."""
    threshold = space.autohide_threshold
    if not threshold or not kind.hideable or kind.is_hidden(target):
        return
    flaggers = _open_flags(target).exclude(flagger=None).values("flagger").distinct().count()
    if flaggers < threshold:
        return
    kind.hide(actor=None, item=target, reason=registry.AUTOHIDE_REASON)


def resolve_flags_on(
    *,
    actor: User | None,
    target,
    upheld: bool,
    space: Space | None = None,
    reason: str = "",
    outcome: str = "",
) -> int:
    """Close the open flags on ``target`` and tell each reporter what was decided and why
    (in-app, and by email to those who asked). Call inside the action's transaction. With
    ``space``, only the flags raised there are closed (a member's). ``outcome`` says what was
    done ("We hid it"); ``reason`` is the moderator's, told to the reporter as it is."""
    flags = _open_flags(target)
    if space is not None:
        flags = flags.filter(space=space)
    flags = list(flags.select_related("flagger"))
    if not flags:
        return 0
    status = Flag.Status.UPHELD if upheld else Flag.Status.DISMISSED
    reason = (reason or "").strip()[:OUTCOME_REASON_MAX]
    Flag.objects.filter(pk__in=[f.pk for f in flags]).update(
        status=status, resolved_by=actor, resolved_at=timezone.now(), outcome_reason=reason
    )
    told = set()
    for flag in flags:
        if flag.flagger_id and flag.flagger_id not in told:
            told.add(flag.flagger_id)
            _tell_reporter(flag, outcome_text(upheld=upheld, outcome=outcome, reason=reason))
    return len(flags)


OUTCOME_REASON_MAX = 500


def outcome_text(*, upheld: bool, outcome: str = "", reason: str = "") -> str:
    """What a reporter reads: "We hid it: …" or "We left it up, because …"."""
    if upheld:
        said = (outcome or "We acted on it").rstrip(".")
        return f"{said}: {reason}" if reason else f"{said}."
    if reason:
        return f"We left it up, because {reason}"
    return "We left it up: the moderators found it does not break the guidelines."


def _tell_reporter(flag: Flag, decision: str) -> None:
    """The reporter alone hears the decision; nobody else learns who reported."""
    reporter = flag.flagger
    text = (
        f"Thank you for your report ({flag.get_reason_display().lower()}). "
        f"A moderator reviewed it. {decision}"
    )
    notices.tell(reporter, text)
    if not flag.email_outcome or reporter is None or not reporter.is_active:
        return
    notices.email(
        reporter.email,
        subject="The outcome of your report",
        body=(
            f"Hello {reporter.display_name},\n\n{text}\n\n"
            "If this has affected you, the forum lists where to find support: "
            f"{notices.site_url(reverse('support'))}\n"
        ),
    )


@transaction.atomic
def withdraw_flag(*, actor: User, flag: Flag) -> bool:
    """The reporter takes back an open report of theirs; someone else's is missing to them."""
    locked = Flag.objects.select_for_update().filter(pk=flag.pk).first()
    if locked is None or not actor.is_authenticated or locked.flagger_id != actor.pk:
        raise Http404("No such report.")
    if locked.status != Flag.Status.OPEN:
        return False
    locked.status = Flag.Status.WITHDRAWN
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "resolved_at"])
    return True


@transaction.atomic
def dismiss_flags(*, actor: User, target, space: Space | None = None, reason: str = "") -> bool:
    """Nothing wrong: close the open flags and bring back an automatically hidden item.
    ``space`` names where a member's flags are dismissed."""
    kind = registry.kind_of(target)
    target = kind.lock(target)
    space = _space(kind, target, space)
    policy.check_moderate(actor, space)
    closed = resolve_flags_on(actor=actor, target=target, upheld=False, space=space, reason=reason)
    if closed:
        audit.record(
            actor=actor, action=AuditAction.FLAG_DISMISS, space=space, target=target, reason=reason
        )
    restored = False
    if kind.is_autohidden(target):
        restored = kind.restore(actor=actor, item=target, reason=reason)
    return bool(closed) or restored


def move_flags(*, items: Iterable, to_space: Space) -> int:
    """Flags follow their items to another space (a moved thread and its posts). ``items``
    holds model instances or querysets. Call inside the move's transaction."""
    matches = models.Q(pk__in=[])
    for item in items:
        if isinstance(item, models.QuerySet):
            matches |= models.Q(
                target_type=ContentType.objects.get_for_model(item.model, for_concrete_model=False),
                target_id__in=item.values("pk"),
            )
        else:
            matches |= models.Q(target_type=_content_type(item), target_id=item.pk)
    return Flag.objects.filter(matches).update(space=to_space)


# Standing (community.signals.standing_changed) ------------------------------------------------

UPHOLDING_CHANGES = (signals.WARNED, signals.MUTED, signals.BANNED)


def close_flags_on_sanctioned_member(
    sender, *, user: User, space: Space | None, change: str, actor: User | None = None, **kwargs
) -> None:
    """A warning, mute or ban answers the flags raised on that member in that space."""
    if space is None or change not in UPHOLDING_CHANGES:
        return
    # The reporters hear that the moderators acted, not the sanction (that is the member's).
    resolve_flags_on(actor=actor, target=user, upheld=True, space=space, outcome="We took action")


# Erasure --------------------------------------------------------------------------------------


@transaction.atomic
def forget_member(user: User) -> None:
    """An erased member's flags and appeals: those they raised stay (the review queue and the
    auto-hide threshold count them) without the details they wrote; those about them or their
    content stay on the item, no longer naming them as its author."""
    Flag.objects.filter(flagger=user).exclude(details="").update(details="")
    Flag.objects.filter(target_user=user).update(target_user=None)
    # Their appeals stay (the transparency report counts them) without what they wrote.
    Appeal.objects.filter(appellant=user).exclude(statement="").update(statement="")


# Watched words --------------------------------------------------------------------------------


@transaction.atomic
def add_watched_word(*, actor: User, space: Space | None, word: str, action: str) -> WatchedWord:
    policy.check_edit_watched_words(actor, space)
    word = (word or "").strip()
    if not normalize(word):
        raise ValidationError({"word": "Enter the word or phrase to watch for."})
    watched = WatchedWord(space=space, word=word, action=action, created_by=actor)
    watched.full_clean()
    watched.save()
    audit.record(
        actor=actor,
        action=AuditAction.WORD_ADD,
        space=space,
        target=watched,
        reason=watched.get_action_display(),
    )
    return watched


@transaction.atomic
def remove_watched_word(*, actor: User, watched: WatchedWord) -> bool:
    locked = WatchedWord.objects.select_for_update().filter(pk=watched.pk).first()
    if locked is None:
        return False
    policy.check_edit_watched_words(actor, locked.space)
    audit.record(actor=actor, action=AuditAction.WORD_REMOVE, space=locked.space, target=locked)
    locked.delete()
    return True
