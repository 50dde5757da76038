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
from community.models import AuditAction, Membership, Space, User

from . import policy, registry
from .models import Appeal, Flag, FlagReason, ModeratorNote, RotaPause, SavedReply, WatchedWord
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
    notify_moderators(flag)
    _autohide_if_due(kind, target, space)
    return flag


def moderators_on_rota(space: Space) -> models.QuerySet[User]:
    """The space's active moderators who have not stepped out of the rota today."""
    away = RotaPause.objects.filter(until__gte=timezone.localdate()).values("moderator")
    return (
        User.objects.filter(
            is_active=True,
            memberships__space=space,
            memberships__status=Membership.Status.ACTIVE,
            memberships__is_moderator=True,
        )
        .exclude(pk__in=away)
        .distinct()
    )


REPORTS_NOTICE = "new-reports"


def notify_moderators(flag: Flag) -> int:
    """Tell the moderators on the rota of a new report, never the reporter or the member it is
    about (a moderator can be either). The notice names neither. Gathered: a moderator has one
    unread "N new reports to review" notice, updated by each new report, not one per report
    (a busy live room would bury everything else)."""
    left_out = {flag.flagger_id, flag.target_user_id} - {None}
    moderators = list(moderators_on_rota(flag.space).exclude(pk__in=left_out))
    latest = f"({flag.get_reason_display().lower()}) is waiting in {flag.space.name}'s review queue"

    def text_for(count: int) -> str:
        if count == 1:
            return f"A new report {latest}."
        return f"{count} new reports to review: the latest {latest}."

    for moderator in moderators:
        notices.tell_gathered(moderator, REPORTS_NOTICE, text_for)
    return len(moderators)


def flag_post(*, actor: User, post, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=post, reason=reason, details=details)


def flag_thread(*, actor: User, thread, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=thread, reason=reason, details=details)


def flag_member(*, actor: User, member: User, space: Space, reason: str, details: str = "") -> Flag:
    return flag_item(actor=actor, target=member, space=space, reason=reason, details=details)


@transaction.atomic
def raise_automatic_flag(
    *, target, space: Space, details: str, screened: str | None = None
) -> Flag | None:
    """A flag without a flagger (a ``flag`` watched word). One open automatic flag per item.
    ``screened`` is screening's outcome (a :class:`moderation.screening.Screened`): the word
    that matched and where (title or body) are kept on the flag for the queue's card."""
    kind = registry.kind_of(target)
    if _open_flags(target).filter(flagger=None).exists():
        return None
    flag = Flag.objects.create(
        flagger=None,
        kind=kind.name,
        target_type=_content_type(target),
        target_id=target.pk,
        target_user=kind.author_of(target),
        space=space,
        reason=FlagReason.OTHER,
        details=details,
        matched_word=getattr(screened, "word", "")[:100],
        matched_in=getattr(screened, "where", ""),
    )
    notify_moderators(flag)
    return flag


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


# Bulk actions from the review queue ---------------------------------------------------------

BULK_ACTIONS = {
    "approve": "approved",
    "dismiss": "closed with no action needed",
    "hide": "hidden",
}


def _bulk_supports(kind: registry.ModeratableKind, item, space: Space, action: str) -> bool:
    """Dismiss fits a flagged item; hide a hideable one; approve one that waits for approval."""
    if action == "dismiss":
        return _open_flags(item).filter(space=space).exists()
    if action == "hide":
        return kind.hideable and "hide" in kind.actions
    waiting = kind.awaiting_approval([space.pk])
    return "approve" in kind.actions and waiting is not None and waiting.filter(pk=item.pk).exists()


@transaction.atomic
def bulk_moderate(*, actor: User, items: list[tuple], action: str, reason: str = "") -> int:
    """One action with one reason over several queue items, ``(kind, item, space)`` each, all
    or nothing: an item in a space ``actor`` does not moderate, or one the action does not
    apply to, refuses the lot. Each item is audited by the service that acts on it."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": "Choose approve, no action needed or hide."})
    reason = (reason or "").strip()
    if action == "hide" and not reason:
        raise ValidationError({"reason": "Give a reason: each author is told why."})
    if not items:
        raise ValidationError({"items": "Select at least one item."})
    foreign = [
        kind.describe(item) for kind, item, space in items if not policy.can_moderate(actor, space)
    ]
    if foreign:
        raise PermissionDenied(
            f"{len(foreign)} of the selected items {'is' if len(foreign) == 1 else 'are'} in a "
            "space you do not moderate. Nothing was changed."
        )
    # Read before anything changes: hiding or dismissing one item can close another's flags.
    unsupported = [
        kind.describe(item)
        for kind, item, space in items
        if not _bulk_supports(kind, item, space, action)
    ]
    if unsupported:
        raise ValidationError(
            f"“{unsupported[0]}” cannot be {BULK_ACTIONS[action]} from here. Nothing was changed."
        )
    changed = 0
    for kind, item, space in items:
        if action == "dismiss":
            done = dismiss_flags(actor=actor, target=item, space=space, reason=reason)
        else:
            done = kind.perform(actor=actor, item=item, action=action, data={"reason": reason})
        changed += bool(done)
    return changed


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
    content stay on the item, no longer naming them as its author. Moderators' notes about them
    are deleted; notes they wrote stay, no longer signed."""
    Flag.objects.filter(flagger=user).exclude(details="").update(details="")
    Flag.objects.filter(target_user=user).update(target_user=None)
    # Notes about them go with them; notes they wrote stay for the space, unsigned.
    ModeratorNote.objects.filter(member=user).delete()
    ModeratorNote.objects.filter(author=user).update(author=None)
    RotaPause.objects.filter(moderator=user).delete()
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


@transaction.atomic
def edit_watched_word(
    *, actor: User, watched: WatchedWord, action: str, space: Space | None
) -> bool:
    """Change what a watched word does, and where (a space, or site-wide for staff)."""
    locked = WatchedWord.objects.select_for_update().filter(pk=watched.pk).first()
    if locked is None:
        raise Http404("No such watched word.")
    policy.check_edit_watched_words(actor, locked.space)
    policy.check_edit_watched_words(actor, space)
    if locked.action == action and locked.space_id == getattr(space, "pk", None):
        return False
    before = f"{locked.get_action_display()} in {locked.space or 'every space'}"
    locked.action, locked.space = action, space
    locked.full_clean()
    locked.save()
    audit.record(
        actor=actor,
        action=AuditAction.WORD_EDIT,
        space=space,
        target=locked,
        reason=f"Was: {before}. Now: {locked.get_action_display()}.",
    )
    return True


@transaction.atomic
def add_watched_words(
    *, actor: User, spaces: list[Space | None], words: list[str], action: str
) -> list[WatchedWord]:
    """Several words in several places (``None``: site-wide), all or nothing: a word already
    watched in one of them refuses the lot, naming it."""
    added = []
    for space in spaces:
        for word in words:
            try:
                added.append(add_watched_word(actor=actor, space=space, word=word, action=action))
            except ValidationError as exc:
                where = space.name if space is not None else "every space"
                raise ValidationError(f"“{word}” ({where}): {' '.join(exc.messages)}") from exc
    return added


# Moderator notes and saved replies ----------------------------------------------------------

NOTE_MAX = 2000


@transaction.atomic
def add_moderator_note(*, actor: User, space: Space, member: User, body: str) -> ModeratorNote:
    """A private note about ``member`` for ``space``'s moderators (and staff)."""
    policy.check_moderate(actor, space)
    if member.pk == actor.pk:
        raise PermissionDenied("You cannot write moderator notes about yourself.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "Write the note first."})
    if len(body) > NOTE_MAX:
        raise ValidationError({"body": f"Keep the note under {NOTE_MAX:,} characters."})
    if not Membership.objects.filter(user=member, space=space).exists():
        raise Http404("No such member.")
    note = ModeratorNote.objects.create(space=space, member=member, author=actor, body=body)
    audit.record(actor=actor, action=AuditAction.NOTE_ADD, space=space, target=member)
    return note


@transaction.atomic
def add_saved_reply(*, actor: User, space: Space, title: str, body: str) -> SavedReply:
    policy.check_moderate(actor, space)
    reply = SavedReply(
        space=space, title=(title or "").strip(), body=(body or "").strip(), created_by=actor
    )
    reply.full_clean()
    reply.save()
    audit.record(
        actor=actor, action=AuditAction.REPLY_ADD, space=space, target=reply, reason=reply.body
    )
    return reply


@transaction.atomic
def remove_saved_reply(*, actor: User, reply: SavedReply) -> bool:
    locked = SavedReply.objects.select_for_update().filter(pk=reply.pk).first()
    if locked is None:
        return False
    policy.check_moderate(actor, locked.space)
    audit.record(actor=actor, action=AuditAction.REPLY_REMOVE, space=locked.space, target=locked)
    locked.delete()
    return True


# The rota -----------------------------------------------------------------------------------


@transaction.atomic
def step_out_of_rota(*, actor: User, until) -> bool:
    """Not told of new reports until ``until`` (a date, today or later)."""
    policy.check_see_queue(actor)
    if until is None or until < timezone.localdate():
        raise ValidationError({"until": "Choose today or a later date."})
    RotaPause.objects.update_or_create(moderator=actor, defaults={"until": until})
    return True


@transaction.atomic
def step_back_into_rota(*, actor: User) -> bool:
    deleted, _ = RotaPause.objects.filter(moderator=actor).delete()
    return bool(deleted)
