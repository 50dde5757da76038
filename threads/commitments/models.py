"""Commitments, their updates and reminders; live-session action proposals; case studies.

Visibility is written once, here: ``Commitment.objects.visible_to(user)``. Every list, page,
search, email and export of commitments starts from it.
"""

from __future__ import annotations

from datetime import date
from html import escape

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from community.models import Space
from community.rendering import plain_text
from realtime.models import LiveSession
from threads.models import ANONYMOUS_LABEL, FORMER_MEMBER_LABEL, Post, Thread

TEXT_MAX = 2_000
WHY_MAX = 2_000
NOTE_MAX = 4_000
PROPOSAL_MAX = 500
PROPOSALS_PER_SESSION = 5
SECTION_MAX = 3_000
SUMMARY_MAX = 2_000
CONTACT_MAX = 1_000


class ActionArea(models.TextChoices):
    """The programme's five action areas, keyed by their spaces' fixed slugs (SPEC.md)."""

    LEADERSHIP = "leadership-accountability", "Leadership accountability"
    RECRUITMENT = (
        "inclusive-recruitment",
        "Inclusive recruitment, retention and talent management",
    )
    ALLYSHIP = "allyship", "Allyship"
    SAFE_SPACES = "safe-spaces", "Creating safe spaces for conversation about race"
    HEALTH = "health-inequalities", "Tackling health inequalities"


class WresIndicator(models.IntegerChoices):
    """The nine indicators of the NHS Workforce Race Equality Standard, by their short names."""

    WORKFORCE_BY_BAND = 1, "1. Workforce by pay band (AfC bands 1 to 9 and VSM)"
    SHORTLISTING = 2, "2. Appointment from shortlisting"
    DISCIPLINARY = 3, "3. Entry into the formal disciplinary process"
    TRAINING = 4, "4. Access to non-mandatory training and CPD"
    HARASSMENT_PUBLIC = 5, "5. Harassment, bullying or abuse from patients, relatives or the public"
    HARASSMENT_STAFF = 6, "6. Harassment, bullying or abuse from staff"
    CAREER_PROGRESSION = 7, "7. Belief in equal opportunities for career progression or promotion"
    DISCRIMINATION = 8, "8. Discrimination at work from a manager, team leader or other colleague"
    BOARD = 9, "9. Board representation (voting membership compared with the workforce)"


class CommitmentStatus(models.TextChoices):
    PLANNED = "planned", "Planned"
    IN_PROGRESS = "in-progress", "In progress"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


OPEN_STATUSES = (CommitmentStatus.PLANNED, CommitmentStatus.IN_PROGRESS)
CLOSED_STATUSES = (CommitmentStatus.DONE, CommitmentStatus.DROPPED)


class CommitmentVisibility(models.TextChoices):
    PRIVATE = "private", "Only me"
    SPACE = "space", "Members of a space I belong to"
    COMMUNITY = "community", "All signed-in members of the forum"


def commitment_visibility_q(user, prefix: str = "") -> Q:
    """The one rule for which commitments ``user`` may know exist, as a Q over ``prefix``.

    Their own, whatever the visibility; those shared with a space whose inside they may read
    (active members, and staff); those shared with the whole community. A private commitment is
    its owner's alone: staff and moderators do not see it either. A shared commitment held for
    review (a ``require approval`` watched word) is seen only by its owner and those who review
    it (:func:`reviewer_q`) until a moderator approves it.
    """
    p = prefix
    readable = Space.objects.readable_by(user).values("pk")
    shared = Q(**{f"{p}visibility": CommitmentVisibility.SPACE, f"{p}space__in": readable}) | Q(
        **{f"{p}visibility": CommitmentVisibility.COMMUNITY}
    )
    return Q(**{f"{p}owner": user}) | (
        shared & (Q(**{f"{p}is_pending": False}) | reviewer_q(user, prefix))
    )


def reviewer_q(user, prefix: str = "") -> Q:
    """Shared commitments ``user`` reviews: staff all; a space's moderators those whose
    moderation space (:func:`moderation_space`) is theirs."""
    p = prefix
    if user.is_staff:
        return ~Q(**{f"{p}visibility": CommitmentVisibility.PRIVATE})
    moderated = Space.objects.moderated_by(user)
    return Q(
        **{f"{p}visibility": CommitmentVisibility.SPACE, f"{p}space__in": moderated.values("pk")}
    ) | Q(
        **{
            f"{p}visibility": CommitmentVisibility.COMMUNITY,
            f"{p}area__in": moderated.values("slug"),
        }
    )


class CommitmentQuerySet(models.QuerySet["Commitment"]):
    def visible_to(self, user) -> CommitmentQuerySet:
        """Commitments ``user`` may know exist (see :func:`commitment_visibility_q`)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(commitment_visibility_q(user))

    def open(self) -> CommitmentQuerySet:
        return self.filter(status__in=OPEN_STATUSES)

    def with_area_spaces(self) -> CommitmentQuerySet:
        """Load the action-area spaces of the results in one more query, for
        :func:`moderation_space` of commitments shared with everyone (the review queue)."""
        clone = self._chain()
        clone.area_spaces_wanted = True
        return clone

    def _clone(self):
        clone = super()._clone()
        clone.area_spaces_wanted = getattr(self, "area_spaces_wanted", False)
        return clone

    def _fetch_all(self):
        fresh = self._result_cache is None
        super()._fetch_all()
        if fresh and getattr(self, "area_spaces_wanted", False):
            items = [item for item in self._result_cache if isinstance(item, Commitment)]
            by_slug = Space.objects.in_bulk({item.area for item in items}, field_name="slug")
            for item in items:
                item.__dict__["area_space"] = by_slug.get(item.area)


class Commitment(models.Model):
    """What a member will do, by when. ``text_html`` and ``why_html`` are rendered on save by
    :mod:`threads.commitments.services` through community.rendering."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="commitments"
    )
    text = models.TextField("what I will do", max_length=TEXT_MAX)
    text_html = models.TextField(editable=False)
    why = models.TextField("why", max_length=WHY_MAX, blank=True)
    why_html = models.TextField(editable=False, blank=True)
    due_on = models.DateField("by when")
    area = models.CharField("action area", max_length=40, choices=ActionArea.choices)
    wres_indicator = models.PositiveSmallIntegerField(
        "WRES indicator", choices=WresIndicator.choices, null=True, blank=True
    )
    status = models.CharField(
        max_length=12, choices=CommitmentStatus.choices, default=CommitmentStatus.PLANNED
    )
    visibility = models.CharField(
        max_length=10, choices=CommitmentVisibility.choices, default=CommitmentVisibility.PRIVATE
    )
    # The space it is shared with: set exactly when visibility is ``space``.
    space = models.ForeignKey(
        Space, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    anonymous = models.BooleanField(
        default=False, help_text="Shared with a space as “A member of this space”."
    )
    # Where it came from: a thread (and maybe one of its posts), or a live session (and maybe
    # one of its proposed actions), or nowhere.
    source_thread = models.ForeignKey(
        Thread, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    source_post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    source_session = models.ForeignKey(
        LiveSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="commitments"
    )
    proposal = models.ForeignKey(
        "ActionProposal",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="adoptions",
    )
    reminders = models.BooleanField(
        "email me reminders",
        default=True,
        help_text="A week before the date, on the date, then once a month while it is open.",
    )
    # True while a ``require approval`` watched word holds it for the moderators of
    # :func:`moderation_space`: only its owner sees it (as waiting) until one approves it.
    is_pending = models.BooleanField(default=False)
    closing_note = models.TextField(max_length=NOTE_MAX, blank=True)
    closing_note_html = models.TextField(editable=False, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = CommitmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        indexes = [
            models.Index(fields=["owner", "status", "due_on"], name="commitment_owner_due"),
            models.Index(fields=["space", "visibility", "-created_at"], name="commitment_shared"),
            models.Index(fields=["status", "due_on"], name="commitment_open_due"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visibility="space") | Q(space__isnull=False),
                name="commitment_space_share_names_a_space",
            ),
            models.CheckConstraint(
                condition=~Q(anonymous=True) | Q(visibility="space"),
                name="commitment_anonymous_only_in_a_space",
            ),
            models.CheckConstraint(
                condition=Q(source_session__isnull=True) | Q(source_thread__isnull=True),
                name="commitment_one_source",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("commitment_detail", args=[self.pk])

    def audit_label(self) -> str:
        """How the audit log and the review queue name it: never its words (a moderator may
        make it private) nor its anonymous owner."""
        return f"Commitment #{self.pk}"

    @property
    def title(self) -> str:
        """The commitment named by its own words: the first line, shortened."""
        words = plain_text(self.text)
        return words if len(words) <= 120 else words[:119].rstrip() + "…"

    @property
    def needs_body(self) -> bool:
        """Whether the text says more than its title: longer, or with markup (links, lists)."""
        return self.text_html.strip() != f"<p>{escape(self.title, quote=False)}</p>"

    @property
    def moderation_space(self) -> Space | None:
        """Whose moderators look after it (see :func:`moderation_space`)."""
        return moderation_space(self)

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def is_shared(self) -> bool:
        return self.visibility != CommitmentVisibility.PRIVATE

    def is_overdue(self, today: date | None = None) -> bool:
        return self.is_open and self.due_on < (today or timezone.localdate())

    def owner_label(self, *, show_real: bool) -> str:
        """Who made it, as this viewer may see it (``show_real``: owner, moderators, staff)."""
        if self.anonymous and not show_real:
            return ANONYMOUS_LABEL
        if self.owner.erased_at is not None:
            return FORMER_MEMBER_LABEL
        return self.owner.display_name


def area_space(area: str) -> Space | None:
    """The space of an action area (the five areas are keyed by their spaces' slugs)."""
    return Space.objects.filter(slug=area).first()


def moderation_space(commitment: Commitment) -> Space | None:
    """The space whose watched words screen a shared commitment and whose moderators review it:
    the space it is shared with; for one shared with all members (which has no space), the space
    of its action area. None for a private one (its owner's alone, never screened)."""
    if commitment.visibility == CommitmentVisibility.SPACE:
        return commitment.space
    if commitment.visibility == CommitmentVisibility.COMMUNITY:
        if "area_space" in commitment.__dict__:
            return commitment.__dict__["area_space"]
        return area_space(commitment.area)
    return None


class CommitmentUpdateQuerySet(models.QuerySet["CommitmentUpdate"]):
    def visible_to(self, user) -> CommitmentUpdateQuerySet:
        """Updates of commitments ``user`` may see; one held for review only by its owner and
        the commitment's reviewers."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            commitment_visibility_q(user, "commitment__"),
            Q(commitment__owner=user) | Q(is_pending=False) | reviewer_q(user, "commitment__"),
        )


class CommitmentUpdate(models.Model):
    """A dated note on a commitment: what happened, what we learned, what was hard."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="updates")
    happened = models.TextField("what happened", max_length=NOTE_MAX)
    happened_html = models.TextField(editable=False)
    learned = models.TextField("what we learned", max_length=NOTE_MAX, blank=True)
    learned_html = models.TextField(editable=False, blank=True)
    hard = models.TextField("what was hard", max_length=NOTE_MAX, blank=True)
    hard_html = models.TextField(editable=False, blank=True)
    # The status the update moved the commitment to, when it changed it.
    status = models.CharField(max_length=12, choices=CommitmentStatus.choices, blank=True)
    # The reply it posted into the thread the commitment came from, when reported back.
    report_post = models.ForeignKey(
        Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Held for review by a ``require approval`` watched word: only the owner sees it until a
    # moderator of the commitment's moderation space approves it.
    is_pending = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    objects = CommitmentUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Update on commitment {self.commitment_id} at {self.created_at:%Y-%m-%d}"


class ReminderKind(models.TextChoices):
    WEEK_BEFORE = "week-before", "A week before"
    DUE = "due", "On the date"
    MONTHLY = "monthly", "How is it going?"


class CommitmentReminder(models.Model):
    """One reminder email sent. The unique constraint makes each one go out exactly once."""

    commitment = models.ForeignKey(Commitment, on_delete=models.CASCADE, related_name="sent")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    due_date = models.DateField(help_text="The day this reminder was due.")
    sent_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["commitment", "kind", "due_date"], name="commitment_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for commitment {self.commitment_id} ({self.due_date})"


class ActionProposal(models.Model):
    """An action a facilitator proposes at the end of a live session, for attendees to adopt."""

    session = models.ForeignKey(
        LiveSession, on_delete=models.CASCADE, related_name="action_proposals"
    )
    text = models.CharField(max_length=PROPOSAL_MAX)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text


class CaseStudy(models.Model):
    """The structured sections of a ``case-study`` thread. Rendered on save, like posts."""

    thread = models.OneToOneField(Thread, on_delete=models.CASCADE, related_name="case_study")
    context = models.TextField("the problem and context", max_length=SECTION_MAX)
    context_html = models.TextField(editable=False)
    actions = models.TextField("what we did", max_length=SECTION_MAX)
    actions_html = models.TextField(editable=False)
    changed = models.TextField("what changed", max_length=SECTION_MAX)
    changed_html = models.TextField(editable=False)
    measure = models.CharField("measure", max_length=200, blank=True)
    before = models.CharField("before", max_length=200, blank=True)
    after = models.CharField("after", max_length=200, blank=True)
    did_not_work = models.TextField("what did not work", max_length=SECTION_MAX)
    did_not_work_html = models.TextField(editable=False)
    contact = models.TextField("who to talk to", max_length=CONTACT_MAX, blank=True)
    contact_html = models.TextField(editable=False, blank=True)
    wres_indicator = models.PositiveSmallIntegerField(
        "WRES indicator", choices=WresIndicator.choices, null=True, blank=True
    )
    # The sections (and indicator) of an edit waiting for a moderator, as the author wrote them:
    # the fields above stay with the published post until it is approved; declined, they go.
    pending_sections = models.JSONField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "case studies"

    def __str__(self) -> str:
        return f"Case study: {self.thread}"

    def get_absolute_url(self) -> str:
        return self.thread.get_absolute_url()

    @property
    def has_measure(self) -> bool:
        return bool(self.before or self.after)
