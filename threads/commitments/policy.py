"""Who may do what with commitments, live-session action proposals and case studies.

Pure functions, no writes. ``can_*`` answer for templates; ``check_*`` raise ``Http404`` when the
actor may not know the object exists, ``PermissionDenied`` with a sentence a person understands
when they may see it but not act.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from community import policy as community_policy
from community.models import Space
from moderation import policy as moderation_policy
from realtime import policy as realtime_policy
from realtime.models import LiveEvent, LiveSession, Presence, Registration
from threads import policy as threads_policy
from threads.models import Thread, ThreadKind

from .models import PROPOSALS_PER_SESSION, ActionProposal, Commitment, CommitmentVisibility


def _refused(check, *args) -> bool:
    return not community_policy.passes(check, *args)


# Commitments ----------------------------------------------------------------------------------


def can_see_commitment(user, commitment: Commitment) -> bool:
    """Object-level mirror of ``Commitment.objects.visible_to`` (one query)."""
    return Commitment.objects.visible_to(user).filter(pk=commitment.pk).exists()


def check_see_commitment(user, commitment: Commitment) -> None:
    if not can_see_commitment(user, commitment):
        raise Http404("No such commitment.")


def is_owner(user, commitment: Commitment) -> bool:
    return user.is_authenticated and commitment.owner_id == user.pk


def check_change_commitment(user, commitment: Commitment) -> None:
    """Edit it, post an update, turn its reminders off: its owner only. The caller knows it is
    visible to ``user``."""
    if not is_owner(user, commitment):
        raise PermissionDenied("You can only change your own commitments.")


def can_change_commitment(user, commitment: Commitment) -> bool:
    return not _refused(check_change_commitment, user, commitment)


def can_see_real_owner(user, commitment: Commitment) -> bool:
    """Who made an anonymous commitment: its owner, the space's moderators, and staff."""
    if is_owner(user, commitment):
        return True
    if commitment.space_id is None:
        return bool(user.is_authenticated and user.is_staff)
    return community_policy.can_moderate_space(user, commitment.space)


def can_flag(user, commitment: Commitment) -> bool:
    """Whether "Flag" is offered: a shared commitment someone else made, that ``user`` sees
    (so not one held for review) and may flag in its moderation space (not muted there, not
    suspended). moderation.services.flag_item checks the same again."""
    if not user.is_authenticated or is_owner(user, commitment) or commitment.is_pending:
        return False
    space = commitment.moderation_space
    if space is None or not can_see_commitment(user, commitment):
        return False
    return not _refused(moderation_policy.check_flag, user, space)


def check_share(user, *, visibility: str, space: Space | None) -> None:
    """Sharing goes beyond the member's own notes: a suspended member may not share, and a
    space must be one they take part in now (not muted there)."""
    if visibility == CommitmentVisibility.PRIVATE:
        return
    community_policy.check_not_suspended(user)
    if visibility == CommitmentVisibility.SPACE:
        if space is None or not community_policy.is_active_member(user, space):
            raise PermissionDenied("Choose one of the spaces you are a member of.")
        community_policy.check_participate(user, space)


def check_report(user, commitment: Commitment) -> None:
    """Report an update into the thread the commitment came from. threads.services.create_reply
    then applies every rule of a reply (guidelines, mute, lock, slow mode, watched words)."""
    check_change_commitment(user, commitment)
    if commitment.is_pending:
        # A report quotes and links it: not before its readers may see it.
        raise PermissionDenied(
            "This commitment is waiting for a moderator. You can report on it in its thread "
            "once it is approved."
        )
    thread = commitment.source_thread
    if thread is None or not threads_policy.can_see_thread(user, thread):
        raise PermissionDenied("This commitment did not come from a thread you can reply to.")
    if not readers_can_open(commitment, thread):
        raise PermissionDenied(
            f"Share this commitment with {thread.space.name} (or with all members) before "
            "reporting in its thread, so the people who read the report can open it."
        )


def readers_can_open(commitment: Commitment, thread: Thread) -> bool:
    """Whether a reader of ``thread`` may open ``commitment`` (a report links to it)."""
    if commitment.visibility == CommitmentVisibility.COMMUNITY:
        return True
    return (
        commitment.visibility == CommitmentVisibility.SPACE
        and commitment.space_id == thread.space_id
    )


def can_report(user, commitment: Commitment) -> bool:
    return not _refused(check_report, user, commitment)


# Live-session action proposals ----------------------------------------------------------------


def has_attended(user, session: LiveSession) -> bool:
    """Registered, or took part: facilitated it, said something in the stream, or connected."""
    if not user.is_authenticated:
        return False
    return (
        Registration.objects.filter(session=session, user=user).exists()
        or session.facilitators.filter(pk=user.pk).exists()
        or LiveEvent.objects.filter(session=session, author=user).exists()
        or Presence.objects.filter(session=session, user=user).exists()
    )


def check_propose_action(user, session: LiveSession, *, existing: int) -> None:
    """Facilitators add up to five actions once the session has ended."""
    realtime_policy.check_facilitate(user, session)
    if session.status != LiveSession.Status.ENDED:
        raise PermissionDenied("You can propose actions once the session has ended.")
    if existing >= PROPOSALS_PER_SESSION:
        raise PermissionDenied(
            f"A session can have up to {PROPOSALS_PER_SESSION} proposed actions."
        )


def can_propose_action(user, session: LiveSession, *, existing: int) -> bool:
    return community_policy.passes(check_propose_action, user, session, existing=existing)


def check_adopt(user, proposal: ActionProposal) -> None:
    """Attendees of the session adopt its proposed actions as their own commitments."""
    realtime_policy.check_see_session(user, proposal.session)
    if not has_attended(user, proposal.session):
        raise PermissionDenied(
            "Only members who registered for or took part in this session can adopt its actions."
        )


def can_adopt(user, proposal: ActionProposal) -> bool:
    return not _refused(check_adopt, user, proposal)


# Case studies ---------------------------------------------------------------------------------


def check_write_case_study(user, space: Space) -> None:
    threads_policy.check_start_thread(user, space)


def can_adapt(user, thread: Thread) -> bool:
    """Whether "Adapt this" is offered: a case study the member can see."""
    return thread.kind == ThreadKind.CASE_STUDY and threads_policy.can_see_thread(user, thread)
