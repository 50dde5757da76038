"""Every write for commitments, their updates, action proposals and case studies.

Order inside each service: policy check → validate → screening → save → automatic flag → report
or thread (through threads.services, so a report is an ordinary reply with every rule of one).
Each returns what changed, so a repeated action is harmless.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from dataclasses import fields as dataclass_fields
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from community import audit, notices
from community import policy as community_policy
from community.models import AuditAction, Space, User
from community.rendering import render_markdown, rendered_first
from community.sanctions import required_reason
from moderation import policy as moderation_policy
from moderation import screening
from moderation import services as moderation_services
from moderation.models import Flag
from realtime import policy as realtime_policy
from realtime.models import LiveSession
from threads import policy as threads_policy
from threads import services as threads_services
from threads import signals as threads_signals
from threads.models import Post, Thread, ThreadKind, ThreadVisibility

from . import policy
from .models import (
    CONTACT_MAX,
    NOTE_MAX,
    PROPOSAL_MAX,
    SECTION_MAX,
    SUMMARY_MAX,
    TEXT_MAX,
    WHY_MAX,
    ActionArea,
    ActionProposal,
    CaseStudy,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    CommitmentVisibility,
    WresIndicator,
    area_space,
    moderation_space,
)

# Where each status may go next: forward only; a closed commitment stays closed.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    CommitmentStatus.PLANNED: (
        CommitmentStatus.IN_PROGRESS,
        CommitmentStatus.DONE,
        CommitmentStatus.DROPPED,
    ),
    CommitmentStatus.IN_PROGRESS: (CommitmentStatus.DONE, CommitmentStatus.DROPPED),
    CommitmentStatus.DONE: (),
    CommitmentStatus.DROPPED: (),
}
REPORT_HEADING = "Report on a commitment"


# Validation -----------------------------------------------------------------------------------


def _text(value: str | None, *, field: str, limit: int, empty: str | None) -> str:
    """Stripped text within ``limit``; ``empty`` is the message when it is required."""
    value = (value or "").strip()
    if not value and empty:
        raise ValidationError({field: empty})
    if len(value) > limit:
        raise ValidationError(
            {field: f"Keep this to {limit:,} characters or fewer (it has {len(value):,})."}
        )
    return value


def _collect(errors: dict[str, list[str]], check, *args, **kwargs):
    try:
        return check(*args, **kwargs)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
        return None


def _check_due(due_on: date | None, *, today: date) -> date:
    if due_on is None:
        raise ValidationError(
            {"due_on": "Enter the date you will do it by, for example 15 3 2027."}
        )
    if due_on < today:
        raise ValidationError({"due_on": "The date must be today or in the future."})
    return due_on


def _check_choices(*, area: str, wres_indicator, visibility: str, space, anonymous: bool):
    errors: dict[str, list[str]] = {}
    if area not in ActionArea.values:
        errors["area"] = ["Choose the action area this belongs to."]
    if wres_indicator not in (None, "") and int(wres_indicator) not in WresIndicator.values:
        errors["wres_indicator"] = ["Choose one of the nine WRES indicators, or none."]
    if visibility not in CommitmentVisibility.values:
        errors["visibility"] = ["Choose who can see this commitment."]
    elif visibility == CommitmentVisibility.SPACE and space is None:
        errors["space"] = ["Choose the space to share it with."]
    if anonymous and visibility != CommitmentVisibility.SPACE:
        errors["anonymous"] = ["You can share anonymously only with a space."]
    if errors:
        raise ValidationError(errors)


def _screen_shared(
    *, actor: User, visibility: str, space: Space | None, area: str, text: str, field: str = "text"
) -> str:
    """A shared commitment (or an update of one) is read by others, so the watched words of its
    moderation space apply as to a post there: the community-wide words and those of the space it
    is shared with, or, shared with all members, of its action area's space. ``block`` refuses
    (the message keyed ``field``); otherwise the Outcome. A private one is not screened."""
    if visibility == CommitmentVisibility.PRIVATE:
        return screening.Outcome.PUBLISH
    where = space if visibility == CommitmentVisibility.SPACE else area_space(area)
    try:
        return screening.screen_text(actor=actor, space=where, text=text)
    except ValidationError as exc:
        raise ValidationError({field: exc.messages}) from exc


def _flag_if_screened(commitment: Commitment, outcome: str) -> None:
    """After saving: a ``flag`` watched word raises an automatic flag for the moderators of its
    moderation space (the space it is shared with, or its action area's space)."""
    if outcome != screening.Outcome.FLAG:
        return
    space = moderation_space(commitment)
    if space is None:
        return
    moderation_services.raise_automatic_flag(
        target=commitment,
        space=space,
        details=threads_services.WATCHED_WORD_FLAG,
        screened=outcome,
    )


def _update_text(update: CommitmentUpdate) -> str:
    return "\n\n".join(part for part in (update.happened, update.learned, update.hard) if part)


def _close_flags_left_behind(commitment: Commitment, space: Space) -> None:
    """The commitment is no longer shared with ``space`` (its owner made it private, shared it
    elsewhere, or was erased): the flags raised there are moot, as its moderators can no longer
    open it. They are closed without a moderator (nothing is audited: nobody acted), and each
    member who flagged it is told why, not that a moderator reviewed it."""
    flags = Flag.objects.open().filter(
        target_type=ContentType.objects.get_for_model(Commitment),
        target_id=commitment.pk,
        space=space,
    )
    flaggers = {flag.flagger for flag in flags.select_related("flagger") if flag.flagger_id}
    flags.update(status=Flag.Status.DISMISSED, resolved_by=None, resolved_at=timezone.now())
    for flagger in flaggers:
        notices.tell(
            flagger,
            "Thank you for your flag. The commitment you flagged is no longer shared with "
            f"{space.name}, so there is nothing left for its moderators to review.",
        )


def _check_share(actor: User, *, visibility: str, space: Space | None) -> None:
    """Sharing is posting: the space (or the community) must allow it, and the member must
    have accepted its current guidelines, as before any post there."""
    policy.check_share(actor, visibility=visibility, space=space)
    if visibility == CommitmentVisibility.SPACE:
        community_policy.check_guidelines_accepted(actor, space)
    elif visibility == CommitmentVisibility.COMMUNITY:
        community_policy.check_guidelines_accepted(actor, None)


def _render(commitment: Commitment) -> None:
    commitment.text_html = render_markdown(commitment.text)
    commitment.why_html = render_markdown(commitment.why) if commitment.why else ""


@dataclass(frozen=True)
class CommitmentFields:
    """What a member writes and chooses for a commitment: the one list of keywords that
    :func:`create_commitment`, :func:`edit_commitment` (and :func:`adopt_proposal`) take, and
    the form's ``service_fields`` give."""

    text: str
    due_on: date | None
    area: str
    why: str = ""
    wres_indicator: int | None = None
    visibility: str = CommitmentVisibility.PRIVATE
    space: Space | None = None
    anonymous: bool = False
    reminders: bool = True

    def cleaned(self, errors: dict[str, list[str]], *, check_due: bool) -> CommitmentFields:
        """The fields with text and why cleaned; each refusal is added to ``errors``."""
        text = _collect(
            errors, _text, self.text, field="text", limit=TEXT_MAX, empty="Write what you will do."
        )
        why = _collect(errors, _text, self.why, field="why", limit=WHY_MAX, empty=None) or ""
        if check_due:
            _collect(errors, _check_due, self.due_on, today=timezone.localdate())
        _collect(
            errors,
            _check_choices,
            area=self.area,
            wres_indicator=self.wres_indicator,
            visibility=self.visibility,
            space=self.space,
            anonymous=self.anonymous,
        )
        return replace(self, text=text, why=why)

    def stored(self) -> dict:
        """The model's values for these fields (a space only for a space share)."""
        shared = self.visibility == CommitmentVisibility.SPACE
        return {
            "text": self.text,
            "why": self.why,
            "due_on": self.due_on,
            "area": self.area,
            "wres_indicator": (
                int(self.wres_indicator) if self.wres_indicator not in (None, "") else None
            ),
            "visibility": self.visibility,
            "space": self.space if shared else None,
            "anonymous": self.anonymous,
            "reminders": self.reminders,
        }


COMMITMENT_FIELDS = tuple(f.name for f in dataclass_fields(CommitmentFields))


# Commitments ----------------------------------------------------------------------------------


@rendered_first("text", "why")
@transaction.atomic
def create_commitment(
    *,
    actor: User,
    source_thread: Thread | None = None,
    source_post: Post | None = None,
    source_session: LiveSession | None = None,
    proposal: ActionProposal | None = None,
    **fields,
) -> Commitment:
    """A new commitment, private unless shared (``fields``: :class:`CommitmentFields`). Its
    source must be visible to ``actor``."""
    values = CommitmentFields(**fields)
    if not actor.is_authenticated:
        raise PermissionDenied("Sign in to make a commitment.")
    if proposal is not None:
        policy.check_adopt(actor, proposal)
        source_session = proposal.session
    errors: dict[str, list[str]] = {}
    values = values.cleaned(errors, check_due=True)
    if source_post is not None:
        if not threads_policy.can_see_post(actor, source_post):
            errors.setdefault("__all__", []).append(
                "We could not find the post this commitment comes from, or you cannot see it."
            )
        else:
            source_thread = source_post.thread
    if source_thread is not None and not threads_policy.can_see_thread(actor, source_thread):
        errors.setdefault("__all__", []).append(
            "We could not find the thread this commitment comes from, or you cannot see it."
        )
    if source_session is not None and not realtime_policy.can_see_session(actor, source_session):
        errors.setdefault("__all__", []).append(
            "We could not find the live session this commitment comes from, or you cannot see it."
        )
    if source_session is not None and source_thread is not None:
        errors.setdefault("__all__", []).append("A commitment comes from one place only.")
    if errors:
        raise ValidationError(errors)
    _check_share(actor, visibility=values.visibility, space=values.space)
    outcome = _screen_shared(
        actor=actor,
        visibility=values.visibility,
        space=values.space,
        area=values.area,
        text=f"{values.text}\n\n{values.why}",
    )
    now = timezone.now()
    commitment = Commitment(
        is_pending=outcome == screening.Outcome.REQUIRE_APPROVAL,
        owner=actor,
        **values.stored(),
        source_thread=source_thread,
        source_post=source_post,
        source_session=source_session,
        proposal=proposal,
        created_at=now,
        updated_at=now,
    )
    _render(commitment)
    commitment.save()
    _flag_if_screened(commitment, outcome)
    return commitment


def _locked(commitment: Commitment) -> Commitment:
    return (
        Commitment.objects.select_for_update(of=("self",))
        .select_related("owner", "space", "source_thread__space")
        .get(pk=commitment.pk)
    )


@rendered_first("text", "why")
@transaction.atomic
def edit_commitment(*, actor: User, commitment: Commitment, **fields) -> bool:
    """Change what, why, when, where and who sees it (``fields``: :class:`CommitmentFields`).
    Returns False when nothing changed."""
    values = CommitmentFields(**fields)
    commitment = _locked(commitment)
    policy.check_see_commitment(actor, commitment)
    policy.check_change_commitment(actor, commitment)
    errors: dict[str, list[str]] = {}
    # Keeping a date that has passed is fine; moving it into the past is not.
    values = values.cleaned(errors, check_due=values.due_on != commitment.due_on)
    if errors:
        raise ValidationError(errors)
    visibility, space, area = values.visibility, values.space, values.area
    _check_share(actor, visibility=visibility, space=space)
    was_in = moderation_space(commitment)
    now_in = space if visibility == CommitmentVisibility.SPACE else area_space(area)
    if visibility == CommitmentVisibility.PRIVATE:
        now_in = None
    screened = f"{values.text}\n\n{values.why}"
    if now_in is not None and (was_in is None or was_in.pk != now_in.pk):
        # Newly shared, or shared somewhere else: its updates are read there from now on too.
        updates = CommitmentUpdate.objects.filter(commitment=commitment)
        screened += "".join(f"\n\n{_update_text(update)}" for update in updates)
    outcome = _screen_shared(
        actor=actor, visibility=visibility, space=space, area=area, text=screened
    )
    new = values.stored()
    changed = [name for name, value in new.items() if getattr(commitment, name) != value]
    if not changed:
        return False
    for name in changed:
        setattr(commitment, name, new[name])
    _render(commitment)
    commitment.updated_at = timezone.now()
    if now_in is None:
        # Private again: its owner's alone, nothing left to review.
        commitment.is_pending = False
        CommitmentUpdate.objects.filter(commitment=commitment, is_pending=True).update(
            is_pending=False
        )
    elif outcome == screening.Outcome.REQUIRE_APPROVAL:
        # Held again, as a post's edit is: nobody else sees it until a moderator approves it.
        commitment.is_pending = True
    commitment.save()
    if was_in is not None and (now_in is None or now_in.pk != was_in.pk):
        _close_flags_left_behind(commitment, was_in)
    _flag_if_screened(commitment, outcome)
    return True


UNSHARED_NOTICE = "is no longer shared with {space}; a moderator made it private: {reason}"


@transaction.atomic
def unshare_commitment(*, actor: User, commitment: Commitment, reason: str) -> bool:
    """A moderator of a shared commitment's moderation space (the space it is shared with, or
    its action area's space) makes it private again (moderation reaches this through the
    commitment kind); it also declines one held for review. The owner keeps it and is told why;
    the open flags on it are upheld; the audit log keeps the action. Returns False if it was no
    longer shared."""
    commitment = _locked(commitment)
    space = moderation_space(commitment)
    if space is None:
        return False
    policy.check_see_commitment(actor, commitment)
    moderation_policy.check_moderate(actor, space)
    reason = required_reason(reason, "the owner is told why it is no longer shared.")
    commitment.visibility = CommitmentVisibility.PRIVATE
    commitment.space = None
    commitment.anonymous = False
    commitment.is_pending = False
    commitment.updated_at = timezone.now()
    commitment.save(update_fields=["visibility", "space", "anonymous", "is_pending", "updated_at"])
    CommitmentUpdate.objects.filter(commitment=commitment, is_pending=True).update(is_pending=False)
    moderation_services.resolve_flags_on(
        actor=actor,
        target=commitment,
        upheld=True,
        reason=reason,
        outcome="We stopped sharing it",
    )
    audit.record(
        actor=actor,
        action=AuditAction.COMMITMENT_UNSHARE,
        space=space,
        target=commitment,
        reason=reason,
    )
    notices.tell(
        commitment.owner,
        f"Your commitment “{commitment.title}” "
        + UNSHARED_NOTICE.format(space=space.name, reason=reason),
    )
    return True


def held_for_review(commitment: Commitment) -> bool:
    """Whether the commitment, or one of its updates, waits for a moderator."""
    return (
        commitment.is_pending
        or CommitmentUpdate.objects.filter(commitment=commitment, is_pending=True).exists()
    )


@transaction.atomic
def approve_commitment(*, actor: User, commitment: Commitment, reason: str = "") -> bool:
    """A moderator of its moderation space lets a held commitment, and its held updates, be
    read by those it is shared with. Audited. Returns False if nothing was waiting."""
    commitment = _locked(commitment)
    space = moderation_space(commitment)
    if space is None:
        return False
    policy.check_see_commitment(actor, commitment)
    moderation_policy.check_moderate(actor, space)
    updates = CommitmentUpdate.objects.filter(commitment=commitment, is_pending=True).update(
        is_pending=False
    )
    if not (commitment.is_pending or updates):
        return False
    if commitment.is_pending:
        commitment.is_pending = False
        commitment.save(update_fields=["is_pending"])
    audit.record(
        actor=actor,
        action=AuditAction.COMMITMENT_APPROVE,
        space=space,
        target=commitment,
        reason=(reason or "").strip(),
    )
    notices.tell(
        commitment.owner,
        f"Your commitment “{commitment.title}” was approved by a moderator: members of "
        f"{space.name if commitment.visibility == CommitmentVisibility.SPACE else 'the forum'} "
        "can read it now.",
    )
    return True


@transaction.atomic
def set_reminders(*, actor: User, commitment: Commitment, enabled: bool) -> bool:
    """Turn this commitment's reminder emails on or off. Returns whether it changed."""
    commitment = _locked(commitment)
    policy.check_see_commitment(actor, commitment)
    policy.check_change_commitment(actor, commitment)
    if commitment.reminders == enabled:
        return False
    commitment.reminders = enabled
    commitment.save(update_fields=["reminders"])
    return True


def _escape_link_text(text: str) -> str:
    for char in "\\[]*_`<>":
        text = text.replace(char, f"\\{char}")
    return text


def report_body(commitment: Commitment, update: CommitmentUpdate) -> str:
    """The Markdown of a report reply: it says it is a report on a commitment, and links it."""
    link = f"[{_escape_link_text(commitment.title)}]({commitment.get_absolute_url()})"
    parts = [f"**{REPORT_HEADING}:** {link}"]
    status = update.status or commitment.status
    parts.append(f"Status: {CommitmentStatus(status).label}")
    parts.append(f"**What happened:** {update.happened}")
    if update.learned:
        parts.append(f"**What we learned:** {update.learned}")
    if update.hard:
        parts.append(f"**What was hard:** {update.hard}")
    if update.status in (CommitmentStatus.DONE, CommitmentStatus.DROPPED):
        label = "What changed" if update.status == CommitmentStatus.DONE else "Why not"
        parts.append(f"**{label}:** {commitment.closing_note}")
    return "\n\n".join(parts)


@rendered_first("happened", "learned", "hard", "closing_note")
@transaction.atomic
def add_update(
    *,
    actor: User,
    commitment: Commitment,
    happened: str,
    learned: str = "",
    hard: str = "",
    status: str = "",
    closing_note: str = "",
    report: bool = False,
) -> CommitmentUpdate:
    """A dated note, maybe moving the status on; done and dropped need a closing note. With
    ``report`` the update is also posted as a reply in the thread the commitment came from,
    through threads.services.create_reply: if the reply is refused, nothing is stored."""
    commitment = _locked(commitment)
    policy.check_see_commitment(actor, commitment)
    policy.check_change_commitment(actor, commitment)
    errors: dict[str, list[str]] = {}
    happened = _collect(
        errors, _text, happened, field="happened", limit=NOTE_MAX, empty="Say what happened."
    )
    learned = _collect(errors, _text, learned, field="learned", limit=NOTE_MAX, empty=None) or ""
    hard = _collect(errors, _text, hard, field="hard", limit=NOTE_MAX, empty=None) or ""
    status = (status or "").strip()
    if status == commitment.status:
        status = ""
    if status and status not in NEXT_STATUSES.get(commitment.status, ()):
        if commitment.status in (CommitmentStatus.DONE, CommitmentStatus.DROPPED):
            message = "This commitment is closed: you can add notes, but not change its status."
        else:
            message = "Choose a status this commitment can move on to."
        errors["status"] = [message]
    closing = status in (CommitmentStatus.DONE, CommitmentStatus.DROPPED)
    if closing:
        empty = (
            "Say what changed, to mark it done."
            if status == CommitmentStatus.DONE
            else "Say why not, to drop it."
        )
        closing_note = (
            _collect(errors, _text, closing_note, field="closing_note", limit=NOTE_MAX, empty=empty)
            or ""
        )
    if errors:
        raise ValidationError(errors)
    if report:
        policy.check_report(actor, commitment)
    screened = "\n\n".join(part for part in (happened, learned, hard, closing_note) if part)
    outcome = _screen_shared(
        actor=actor,
        visibility=commitment.visibility,
        space=commitment.space,
        area=commitment.area,
        text=screened,
        field="happened",
    )
    held = outcome == screening.Outcome.REQUIRE_APPROVAL
    now = timezone.now()
    update = CommitmentUpdate(
        commitment=commitment,
        is_pending=held,
        happened=happened,
        happened_html=render_markdown(happened),
        learned=learned,
        learned_html=render_markdown(learned) if learned else "",
        hard=hard,
        hard_html=render_markdown(hard) if hard else "",
        status=status,
        created_at=now,
    )
    fields = ["updated_at"]
    if status:
        commitment.status = status
        fields.append("status")
    if closing:
        commitment.closing_note = closing_note
        commitment.closing_note_html = render_markdown(closing_note)
        commitment.closed_at = now
        fields += ["closing_note", "closing_note_html", "closed_at"]
        if held:
            # The closing note is shown with the commitment: it waits with the update.
            commitment.is_pending = True
            fields.append("is_pending")
    commitment.updated_at = now
    if report:
        thread = commitment.source_thread
        community_policy.check_guidelines_accepted(actor, thread.space)
        post = threads_services.create_reply(
            actor=actor,
            thread=thread,
            body=report_body(commitment, update),
            anonymous=commitment.anonymous,
        )
        if held and post.is_published:
            # The thread's space would publish words the commitment's moderators hold for
            # review: refuse the whole update (rolled back) rather than publish them.
            raise ValidationError(
                {
                    "report": "This update has words a moderator reviews first, so it cannot be "
                    "posted as a report now. Untick “post this as a report” to save it for "
                    "review; your text is kept below."
                }
            )
        update.report_post = post
    commitment.save(update_fields=fields)
    update.save()
    _flag_if_screened(commitment, outcome)
    return update


# Live-session action proposals ----------------------------------------------------------------


@transaction.atomic
def propose_action(*, actor: User, session: LiveSession, text: str) -> ActionProposal:
    """One of up to five actions a facilitator proposes once the session has ended."""
    session = LiveSession.objects.select_for_update().select_related("space").get(pk=session.pk)
    existing = ActionProposal.objects.filter(session=session).count()
    policy.check_propose_action(actor, session, existing=existing)
    text = _text(text, field="text", limit=PROPOSAL_MAX, empty="Write the action you propose.")
    text = " ".join(text.split())
    proposal, _ = ActionProposal.objects.get_or_create(
        session=session, text=text, defaults={"created_by": actor}
    )
    return proposal


def adopt_proposal(*, actor: User, proposal: ActionProposal, **fields) -> Commitment:
    """Adopt a proposed action as the member's own commitment, edited to fit (same rules)."""
    return create_commitment(actor=actor, proposal=proposal, **fields)


# Case studies ---------------------------------------------------------------------------------

CASE_STUDY_SECTIONS = [
    ("context", "The problem and context", True),
    ("actions", "What we did", True),
    ("changed", "What changed", True),
    ("did_not_work", "What did not work", True),
    ("contact", "Who to talk to", False),
]


def case_study_markdown(summary: str, sections: dict[str, str]) -> str:
    """The opening post of a case study: the summary, then each section under its own heading
    (rendered as h3), so screening, pre-moderation, search, revisions and hiding treat the whole
    case study as the post it is."""
    parts = [summary.strip()]
    for name, heading, _ in CASE_STUDY_SECTIONS:
        text = (sections.get(name) or "").strip()
        if name == "changed":
            measure = _measure_line(sections)
            text = f"{text}\n\n{measure}" if measure else text
        if text:
            parts.append(f"## {heading}\n\n{text}")
    return "\n\n".join(parts)


def _measure_line(sections: dict[str, str]) -> str:
    measure = (sections.get("measure") or "").strip()
    before = (sections.get("before") or "").strip()
    after = (sections.get("after") or "").strip()
    if not (before or after):
        return ""
    name = f"{measure}: " if measure else ""
    return f"**{name}before** {before or 'not measured'}, **after** {after or 'not measured'}."


_MEASURE_LINE = re.compile(
    r"\*\*(?:(?P<measure>.+?): )?before\*\* (?P<before>.*?), \*\*after\*\* (?P<after>.*)\.\Z",
    re.DOTALL,
)
_NOT_MEASURED = "not measured"


def sections_from_markdown(body: str) -> dict[str, str]:
    """The sections of an opening post's Markdown, the reverse of :func:`case_study_markdown`:
    the text under each section's heading, and the measure line of "what changed". A post
    edited as a whole (a moderator's edit from the review queue) keeps its sections this way;
    a section whose heading the edit took out is empty, as it is for readers."""
    headings = {heading: name for name, heading, _ in CASE_STUDY_SECTIONS}
    pattern = "|".join(re.escape(heading) for heading in headings)
    parts = re.split(rf"(?:\A|\n\n)## ({pattern})\n\n", body.replace("\r\n", "\n"))
    sections = {name: "" for name in (*headings.values(), "measure", "before", "after")}
    for heading, text in zip(parts[1::2], parts[2::2], strict=True):
        sections[headings[heading]] = text.strip()
    changed, _, last = sections["changed"].rpartition("\n\n")
    match = _MEASURE_LINE.match(last.strip())
    if match:
        sections["changed"] = changed.strip()
        for name in ("measure", "before", "after"):
            value = (match.group(name) or "").strip()
            sections[name] = "" if value == _NOT_MEASURED and name != "measure" else value
    return sections


def follow_opening_post(*, post: Post, outcome: str) -> None:
    """Keep a case study's stored sections with its opening post (``threads.signals.post_edited``,
    inside the edit's transaction): published text is what the sections say (an approved edit's
    sections as its author wrote them; any other edit, such as a moderator's from the review
    queue, read back from the Markdown); a declined or withdrawn edit leaves the sections as they
    were, and its waiting sections go."""
    if not post.is_opening or outcome == threads_signals.HELD:
        return
    case_study = CaseStudy.objects.select_for_update().filter(thread_id=post.thread_id).first()
    if case_study is None:
        return
    pending, case_study.pending_sections = case_study.pending_sections, None
    if outcome == threads_signals.PUBLISHED:
        waiting = {k: v for k, v in (pending or {}).items() if k != "wres_indicator"}
        summary = case_study_summary(case_study, post.body)
        if waiting and case_study_markdown(summary, waiting) == post.body:
            sections = waiting
            case_study.wres_indicator = pending.get("wres_indicator")
        else:
            sections = sections_from_markdown(post.body)
        for name, value in sections.items():
            setattr(case_study, name, value)
        _render_case_study(case_study)
    case_study.save()


def _clean_sections(data: dict[str, str]) -> dict[str, str]:
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for name, heading, required in CASE_STUDY_SECTIONS:
        limit = CONTACT_MAX if name == "contact" else SECTION_MAX
        empty = f"Write “{heading.lower()}”." if required else None
        cleaned[name] = _collect(
            errors, _text, data.get(name), field=name, limit=limit, empty=empty
        )
    for name in ("measure", "before", "after"):
        cleaned[name] = _collect(errors, _text, data.get(name), field=name, limit=200, empty=None)
    if errors:
        raise ValidationError(errors)
    return {name: value or "" for name, value in cleaned.items()}


@transaction.atomic
def create_case_study(
    *,
    actor: User,
    space: Space,
    title: str,
    summary: str,
    sections: dict[str, str],
    wres_indicator: int | None = None,
    visibility: str = ThreadVisibility.SPACE,
    content_note: str = "",
    anonymous: bool = False,
) -> CaseStudy:
    """A ``case-study`` thread (through threads.services.create_thread, so every rule of a new
    thread holds) and its structured sections."""
    policy.check_write_case_study(actor, space)
    community_policy.check_guidelines_accepted(actor, space)
    errors: dict[str, list[str]] = {}
    cleaned = _collect(errors, _clean_sections, sections) or {}
    summary = _collect(
        errors, _text, summary, field="body", limit=SUMMARY_MAX, empty="Write a short summary."
    )
    if wres_indicator not in (None, "") and int(wres_indicator) not in WresIndicator.values:
        errors["wres_indicator"] = ["Choose one of the nine WRES indicators, or none."]
    if errors:
        try:
            threads_services.clean_title(title)
        except ValidationError as exc:
            errors.update(exc.message_dict)
        raise ValidationError(errors)
    thread = threads_services.create_thread(
        actor=actor,
        space=space,
        title=title,
        body=case_study_markdown(summary, cleaned),
        kind=ThreadKind.CASE_STUDY,
        visibility=visibility,
        content_note=content_note,
        anonymous=anonymous,
    )
    case_study = CaseStudy(
        thread=thread,
        wres_indicator=int(wres_indicator) if wres_indicator not in (None, "") else None,
        **cleaned,
    )
    _render_case_study(case_study)
    case_study.save()
    return case_study


def case_study_summary(case_study: CaseStudy, body: str) -> str:
    """The summary of a case study's opening post: what comes before its first section."""
    marker = f"\n\n## {CASE_STUDY_SECTIONS[0][1]}\n\n"
    return body.split(marker, 1)[0] if marker in body else body


@transaction.atomic
def edit_case_study(
    *,
    actor: User,
    case_study: CaseStudy,
    title: str,
    summary: str,
    sections: dict[str, str],
    wres_indicator: int | None = None,
    reason: str = "",
) -> bool:
    """Change a case study's title, summary and sections: its opening post is edited through
    threads.services.edit_post, so every rule of a post edit holds (the author, or a moderator
    with a reason, told to the author and audited; watched words; an edit needing approval
    waits, readers keeping the published text; the old text kept as a revision). The sections
    are stored as the author (or moderator) wrote them. Returns False when nothing changed."""
    thread = Thread.objects.select_related("space").get(pk=case_study.thread_id)
    post = Post.objects.select_related("thread__space", "author").get(
        thread=thread, is_opening=True
    )
    threads_policy.check_see_post(actor, post)
    threads_policy.check_edit_post(actor, post)
    moderating = threads_policy.moderates_post(actor, post)
    errors: dict[str, list[str]] = {}
    cleaned = _collect(errors, _clean_sections, sections) or {}
    summary = _collect(
        errors, _text, summary, field="body", limit=SUMMARY_MAX, empty="Write a short summary."
    )
    if wres_indicator not in (None, "") and int(wres_indicator) not in WresIndicator.values:
        errors["wres_indicator"] = ["Choose one of the nine WRES indicators, or none."]
    try:
        threads_services.clean_title(title)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    if not moderating:
        community_policy.check_guidelines_accepted(actor, thread.space)
    edited = threads_services.edit_post(
        actor=actor,
        post=post,
        body=case_study_markdown(summary, cleaned),
        title=title,
        reason=reason,
        moderating=moderating,
    )
    case_study = CaseStudy.objects.select_for_update().get(pk=case_study.pk)
    indicator = int(wres_indicator) if wres_indicator not in (None, "") else None
    if Post.objects.filter(pk=post.pk, pending_at__isnull=False).exists():
        # The edit waits for a moderator: readers keep the published post, and the stored
        # sections stay with it; approved, these become the sections (follow_opening_post).
        case_study.pending_sections = {**cleaned, "wres_indicator": indicator}
        case_study.save(update_fields=["pending_sections"])
        return edited
    changed = [name for name, value in cleaned.items() if getattr(case_study, name) != value]
    if not changed and indicator == case_study.wres_indicator:
        return edited
    for name in changed:
        setattr(case_study, name, cleaned[name])
    case_study.wres_indicator = indicator
    _render_case_study(case_study)
    case_study.save()
    return True


def _render_case_study(case_study: CaseStudy) -> None:
    for name, _, _ in CASE_STUDY_SECTIONS:
        text = getattr(case_study, name)
        setattr(case_study, f"{name}_html", render_markdown(text) if text else "")


# Erasure --------------------------------------------------------------------------------------


@transaction.atomic
def erase_member_content(*, user: User, remove_content: bool) -> None:
    """Account erasure (community.site.account_data): with ``remove_content`` the member's
    commitments, updates, proposals and case-study sections go; otherwise they stay, shown as
    "Former member", with reminders off."""
    if remove_content:
        shared = Commitment.objects.filter(
            owner=user, visibility=CommitmentVisibility.SPACE, space__isnull=False
        )
        for commitment in shared.select_related("space"):
            _close_flags_left_behind(commitment, commitment.space)
        Commitment.objects.filter(owner=user).delete()
        ActionProposal.objects.filter(created_by=user).delete()
        CaseStudy.objects.filter(thread__author=user).delete()
        return
    Commitment.objects.filter(owner=user).update(reminders=False)


__all__ = [
    "COMMITMENT_FIELDS",
    "CommitmentFields",
    "add_update",
    "adopt_proposal",
    "approve_commitment",
    "case_study_markdown",
    "case_study_summary",
    "create_case_study",
    "create_commitment",
    "edit_case_study",
    "edit_commitment",
    "erase_member_content",
    "follow_opening_post",
    "held_for_review",
    "propose_action",
    "report_body",
    "sections_from_markdown",
    "set_reminders",
    "unshare_commitment",
]
