"""Appeals: a member asks once, within 14 days, for a moderator's action on them or their
content to be looked at again; another moderator of the space (or staff) decides.

The action appealed is its audit entry. Content actions (a hide, a moderator's edit) are
reversed through the item's kind (:mod:`moderation.registry`), sanctions through
:mod:`community.sanctions`; the decision is audited and the member told.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import Http404
from django.utils import timezone

from community import audit, notices, sanctions
from community import policy as community_policy
from community.formats import when
from community.models import AuditAction, AuditEntry, Membership, User

from . import registry
from .models import Appeal
from .services import moderators_on_rota

APPEAL_WINDOW = timedelta(days=14)
STATEMENT_MAX = 2000
REASON_MAX = 500

#: Sanctions a member may appeal: the entry's target is the member.
MEMBER_ACTIONS = (
    AuditAction.MEMBER_WARN,
    AuditAction.MEMBER_MUTE,
    AuditAction.MEMBERSHIP_BAN,
    AuditAction.MEMBER_SUSPEND,
)
#: Audited edits that are not a moderator rewriting the member's text.
NOT_APPEALABLE_PREFIXES = ("Edit declined:", "Restored on appeal")

ALREADY_APPEALED = "You have already appealed this decision. Each decision can be appealed once."
TOO_LATE = "Appeals are open for 14 days after a decision. This decision was made on {date}."
ACTED_YOURSELF = "You made this decision, so another moderator or staff must decide the appeal."
ALREADY_DECIDED = "This appeal has already been decided."


def _kind_for(entry: AuditEntry) -> registry.ModeratableKind | None:
    for kind in registry.kinds():
        if entry.action in kind.appealable_actions:
            return kind
    return None


def _user_type() -> ContentType:
    return ContentType.objects.get_for_model(User)


# Reading --------------------------------------------------------------------------------------


def appealable_entries(user: User) -> models.QuerySet[AuditEntry]:
    """The actions on ``user`` or their content from the last 14 days that they may appeal, with
    their appeal if they made one. A member sees these only: never who acted."""
    if not user.is_authenticated:
        return AuditEntry.objects.none()
    about = models.Q(
        action__in=MEMBER_ACTIONS, target_type=_user_type(), target_id=user.pk
    ) & ~models.Q(actor=user)
    for kind in registry.kinds():
        mine = kind.authored_by(user)
        if kind.appealable_actions and mine is not None:
            about |= models.Q(
                action__in=kind.appealable_actions,
                target_type=ContentType.objects.get_for_model(kind.model, for_concrete_model=False),
                target_id__in=mine,
            ) & ~models.Q(actor=user)
    recent = models.Q(created_at__gte=timezone.now() - APPEAL_WINDOW) | models.Q(
        appeal__isnull=False
    )
    excluded = models.Q()
    for prefix in NOT_APPEALABLE_PREFIXES:
        excluded |= models.Q(reason__startswith=prefix)
    return (
        AuditEntry.objects.filter(about, recent)
        .exclude(excluded)
        .exclude(actor__isnull=True)
        .select_related("appeal", "space")
        .order_by("-created_at", "-pk")
    )


def appeal_or_404(user: User, pk: int) -> Appeal:
    appeal = (
        Appeal.objects.visible_to(user)
        .select_related("entry", "space", "appellant", "decided_by")
        .filter(pk=pk)
        .first()
    )
    if appeal is None:
        raise Http404("No such appeal.")
    return appeal


def can_decide(user: User, appeal: Appeal) -> bool:
    return community_policy.passes(check_decide, user, appeal)


def check_decide(actor: User, appeal: Appeal) -> None:
    """A moderator of the appeal's space (staff for a site-wide action), never the one who acted
    nor the appellant."""
    if not actor.is_authenticated:
        raise Http404("No such appeal.")
    if appeal.space is None:
        if not actor.is_staff:
            raise PermissionDenied("Only staff can decide an appeal against a suspension.")
    elif not community_policy.can_moderate_space(actor, appeal.space):
        raise PermissionDenied("Only this space's moderators and staff can decide this appeal.")
    if appeal.entry.actor_id == actor.pk:
        raise PermissionDenied(ACTED_YOURSELF)
    if appeal.appellant_id == actor.pk:
        raise PermissionDenied("You cannot decide your own appeal.")
    community_policy.check_not_suspended(actor)


# Writing --------------------------------------------------------------------------------------


def _check_appellant(actor: User, entry: AuditEntry) -> None:
    """``entry`` must be an appealable action on ``actor`` or on something they wrote."""
    if entry.actor_id is None or entry.actor_id == actor.pk:
        raise Http404("No such decision.")
    if entry.reason.startswith(NOT_APPEALABLE_PREFIXES):
        raise Http404("No such decision.")
    if entry.action in MEMBER_ACTIONS:
        if entry.target_type_id == _user_type().pk and entry.target_id == actor.pk:
            return
        raise Http404("No such decision.")
    kind = _kind_for(entry)
    item = kind.load(entry.target_id) if kind is not None and entry.target_id else None
    if item is None:
        raise Http404("No such decision.")
    author = kind.author_of(item)
    if author is None or author.pk != actor.pk:
        raise Http404("No such decision.")


@transaction.atomic
def submit_appeal(*, actor: User, entry: AuditEntry, statement: str) -> Appeal:
    """Appeal ``entry`` once, within 14 days, with a statement the deciding moderator reads."""
    if not actor.is_authenticated:
        raise Http404("No such decision.")
    entry = (
        AuditEntry.objects.select_for_update(of=("self",)).select_related("space").get(pk=entry.pk)
    )
    _check_appellant(actor, entry)
    if Appeal.objects.filter(entry=entry).exists():
        raise ValidationError(ALREADY_APPEALED)
    if timezone.now() - entry.created_at > APPEAL_WINDOW:
        raise ValidationError(TOO_LATE.format(date=when(entry.created_at)))
    statement = (statement or "").strip()
    if not statement:
        raise ValidationError({"statement": "Say why the decision should change."})
    if len(statement) > STATEMENT_MAX:
        raise ValidationError({"statement": "Keep your statement under 2,000 characters."})
    appeal = Appeal(entry=entry, appellant=actor, space=entry.space, statement=statement)
    appeal.full_clean()
    appeal.save()
    transaction.on_commit(lambda: notify_deciders(appeal))
    return appeal


def deciders(appeal: Appeal) -> models.QuerySet[User]:
    """Who is told of a new appeal: the space's moderators on the rota (staff, for a site-wide
    action), never the one who acted nor the appellant."""
    if appeal.space is None:
        people = User.objects.filter(is_active=True, is_staff=True)
    else:
        people = moderators_on_rota(appeal.space)
    return people.exclude(pk__in={appeal.entry.actor_id, appeal.appellant_id} - {None})


def notify_deciders(appeal: Appeal) -> int:
    """Tell those who may decide it that an appeal is waiting; the notice names nobody."""
    where = f"in {appeal.space.name}" if appeal.space else "against a suspension"
    people = list(deciders(appeal))
    for person in people:
        notices.tell(person, f"An appeal {where} is waiting for a decision on the appeals page.")
    return len(people)


def _reverse(actor: User, appeal: Appeal, reason: str) -> None:
    """Undo the appealed action through its owner; a sanction already lifted stays lifted."""
    entry = appeal.entry
    member = appeal.appellant
    note = f"Overturned on appeal: {reason}"
    if entry.action == AuditAction.MEMBER_WARN:
        return
    if entry.action == AuditAction.MEMBER_MUTE:
        sanctions.unmute_member(actor=actor, space=appeal.space, member=member, reason=note)
        return
    if entry.action == AuditAction.MEMBERSHIP_BAN:
        banned = Membership.objects.filter(
            space=appeal.space, user=member, status=Membership.Status.BANNED
        ).exists()
        if banned:
            sanctions.unban_member(actor=actor, space=appeal.space, member=member, reason=note)
        return
    if entry.action == AuditAction.MEMBER_SUSPEND:
        sanctions.unsuspend_member(actor=actor, member=member, reason=note)
        return
    kind = _kind_for(entry)
    item = kind.load(entry.target_id) if kind is not None else None
    if item is not None:
        kind.undo(
            actor=actor,
            item=item,
            action=entry.action,
            done_at=entry.created_at,
            reason=f"Restored on appeal: {reason}",
        )


@transaction.atomic
def decide_appeal(*, actor: User, appeal: Appeal, overturn: bool, reason: str) -> bool:
    """Uphold or overturn; the member is told and the audit log keeps the decision. Overturning
    reverses the action (unhide, the text from before the edit, the sanction lifted)."""
    appeal = (
        Appeal.objects.select_for_update(of=("self",))
        .select_related("entry", "space", "appellant")
        .get(pk=appeal.pk)
    )
    check_decide(actor, appeal)
    if appeal.status != Appeal.Status.OPEN:
        raise ValidationError(ALREADY_DECIDED)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "Give a reason: the member is told why."})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": f"Keep the reason under {REASON_MAX} characters."})
    appeal.status = Appeal.Status.OVERTURNED if overturn else Appeal.Status.UPHELD
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.decision_reason = reason
    appeal.save(update_fields=["status", "decided_by", "decided_at", "decision_reason"])
    if overturn:
        _reverse(actor, appeal, reason)
    entry = appeal.entry
    summary = f"{entry.get_action_display()} ({entry.target_label}): {reason}"
    if overturn:
        audit.record(
            actor=actor,
            action=AuditAction.APPEAL_OVERTURN,
            space=appeal.space,
            target=appeal.appellant,
            reason=summary,
        )
    else:
        audit.record(
            actor=actor,
            action=AuditAction.APPEAL_UPHOLD,
            space=appeal.space,
            target=appeal.appellant,
            reason=summary,
        )
    what = entry.get_action_display().lower()
    if overturn:
        text = f"Your appeal was successful: the decision ({what}) is overturned. {reason}"
    else:
        text = f"Your appeal was looked at by another moderator, who kept the decision ({what}). {reason}"
    notices.tell(appeal.appellant, text)
    return True
