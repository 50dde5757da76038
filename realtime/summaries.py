"""A summary the participants agree to: after the end, a facilitator drafts themes and picks
quotes from the session's stream (shown without names); everyone quoted is told and may withdraw
their quote for 48 hours from its addition; only then is the summary published, without
attribution, as a ``resource`` thread in the session's space.

realtime knows nothing of threads: the app that keeps threads registers the publisher
(:func:`register_publisher`), which writes the thread and links the session's proposed actions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from community import notices
from community.formats import when
from community.models import User
from community.rendering import render_markdown, rendered_first

from . import policy
from .models import LiveEvent, LiveSession, LiveSummary, SummaryQuote

logger = logging.getLogger(__name__)

WITHDRAW_WINDOW = timedelta(hours=48)
MAX_QUOTES = 20
THEMES_MAX = 6000

# (summary, kept quotes, the account the thread is written under) -> the published thread's id.
Publisher = Callable[[LiveSummary, list[SummaryQuote], User], int]
_publisher: Publisher | None = None


def register_publisher(publisher: Publisher) -> None:
    """Called once by the app that keeps threads, in its ``AppConfig.ready()``."""
    global _publisher
    _publisher = publisher


# --- who may do what ----------------------------------------------------------------------


def check_draft_summary(user, session: LiveSession) -> None:
    policy.check_facilitate(user, session)
    if session.status != LiveSession.Status.ENDED:
        raise PermissionDenied("You can draft the summary once the session has ended.")


def check_edit_summary(summary: LiveSummary) -> None:
    if summary.published_at is not None:
        raise PermissionDenied("This summary has been published: it can no longer be changed.")


# --- reading ------------------------------------------------------------------------------


def summary_of(session: LiveSession) -> LiveSummary | None:
    return LiveSummary.objects.filter(session=session).first()


def quotable_events(session: LiveSession):
    """The messages of this session a summary may quote: chat messages not removed."""
    return LiveEvent.objects.filter(
        session=session, kind=LiveEvent.Kind.MESSAGE, removed=False
    ).order_by("seq")


def summary_quotes(summary: LiveSummary):
    """Every quote of the summary whose message still stands (an erased or removed message's
    quote disappears), withdrawn or not."""
    return (
        SummaryQuote.objects.filter(summary=summary, event__removed=False)
        .select_related("event")
        .order_by("event__seq")
    )


def kept_quotes(summary: LiveSummary) -> list[SummaryQuote]:
    return list(summary_quotes(summary).filter(withdrawn_at__isnull=True))


def my_quotes(user, session: LiveSession) -> list[SummaryQuote]:
    """The member's own quoted words in this session's summary (nobody else's)."""
    if not user.is_authenticated:
        return []
    return list(
        SummaryQuote.objects.filter(
            summary__session=session, event__author=user, event__removed=False
        )
        .select_related("event", "summary")
        .order_by("event__seq")
    )


def session_quoting(user, session_id) -> LiveSession | None:
    """The session, for a member quoted in its summary who may no longer see it (banned,
    removed, left): their own quotes stay theirs to withdraw, and nothing else of the room is
    reached this way. None when none of their words are quoted there."""
    if not user.is_authenticated:
        return None
    return (
        LiveSession.objects.filter(
            pk=session_id,
            summary__quotes__event__author=user,
            summary__quotes__event__removed=False,
        )
        .distinct()
        .first()
    )


def withdraw_until(quote: SummaryQuote) -> datetime:
    return quote.added_at + WITHDRAW_WINDOW


def publishable_from(summary: LiveSummary) -> datetime:
    """The window runs from the draft's first save, or from the latest quote's addition."""
    latest = SummaryQuote.objects.filter(summary=summary).aggregate(latest=Max("added_at"))
    start = max(summary.created_at, latest["latest"] or summary.created_at)
    return start + WITHDRAW_WINDOW


# --- writing ------------------------------------------------------------------------------


def _clean_seqs(session: LiveSession, raw: Iterable) -> list[int]:
    seqs: list[int] = []
    for value in raw:
        try:
            seq = int(str(value).strip())
        except ValueError:
            raise ValidationError(
                {"quotes": ["Choose quotes from the session’s messages."]}
            ) from None
        if seq not in seqs:
            seqs.append(seq)
    if len(seqs) > MAX_QUOTES:
        raise ValidationError(
            {"quotes": [f"Choose at most {MAX_QUOTES} quotes (you chose {len(seqs)})."]}
        )
    found = set(quotable_events(session).filter(seq__in=seqs).values_list("seq", flat=True))
    missing = [seq for seq in seqs if seq not in found]
    if missing:
        listed = ", ".join(f"#{seq}" for seq in missing)
        raise ValidationError(
            {
                "quotes": [
                    f"{listed}: not a message of this session that can be quoted (it may "
                    "have been removed)."
                ]
            }
        )
    return seqs


def _clean_themes(themes) -> str:
    themes = themes.strip() if isinstance(themes, str) else ""
    if not themes:
        raise ValidationError({"themes": ["Write the themes of the session."]})
    if len(themes) > THEMES_MAX:
        raise ValidationError({"themes": [f"Keep the themes to {THEMES_MAX} characters or fewer."]})
    return themes


def _tell_quoted(session: LiveSession, authors: dict[int, tuple[User, datetime]]) -> None:
    """In-app only, and never the quoted words (a notice may be read over a shoulder)."""
    path = reverse("live_summary_quotes", args=[session.pk])
    for author, until in authors.values():
        notices.tell(
            author,
            f"Your words from the live session “{session.title}” are quoted, without your name, "
            f"in its draft summary. You can withdraw your quote until {when(until)} at {path}",
        )


@rendered_first("themes")
@transaction.atomic
def save_summary_draft(*, actor: User, session: LiveSession, themes, seqs) -> LiveSummary:
    """Create or edit the draft: themes, and the quotes by ``seq``. A new quote's author is told
    and has 48 hours from now; a quote kept from before keeps its time; a quote withdrawn by its
    author cannot be picked again."""
    session = LiveSession.objects.select_for_update().get(pk=session.pk)
    check_draft_summary(actor, session)
    summary = LiveSummary.objects.select_for_update().filter(session=session).first()
    if summary is not None:
        check_edit_summary(summary)
    errors: dict[str, list[str]] = {}
    try:
        themes = _clean_themes(themes)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    try:
        seqs = _clean_seqs(session, seqs if isinstance(seqs, list | tuple) else [])
    except ValidationError as exc:
        errors.update(exc.message_dict)
        seqs = []
    existing: dict[int, SummaryQuote] = {}
    if summary is not None:
        existing = {q.event.seq: q for q in summary.quotes.select_related("event")}
    withdrawn = [seq for seq in seqs if seq in existing and existing[seq].withdrawn_at]
    if withdrawn and "quotes" not in errors:
        listed = ", ".join(f"#{seq}" for seq in withdrawn)
        errors["quotes"] = [f"{listed}: withdrawn by the person who said it; leave it out."]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    if summary is None:
        summary = LiveSummary(session=session, created_at=now)
    summary.themes = themes
    summary.themes_html = render_markdown(themes)
    summary.drafted_by = actor
    summary.updated_at = now
    summary.save()
    # Quotes the facilitator left out go (a withdrawn one stays, as the author's decision).
    for seq, quote in existing.items():
        if seq not in seqs and quote.withdrawn_at is None:
            quote.delete()
    events = {
        e.seq: e for e in quotable_events(session).filter(seq__in=seqs).select_related("author")
    }
    told: dict[int, tuple[User, datetime]] = {}
    for seq in seqs:
        if seq in existing:
            continue
        event = events[seq]
        SummaryQuote.objects.create(summary=summary, event=event, added_at=now)
        if event.author is not None:
            told[event.author.pk] = (event.author, now + WITHDRAW_WINDOW)
    _tell_quoted(session, told)
    return summary


def _quote_or_404(session: LiveSession, quote_id, *, author: User | None = None) -> SummaryQuote:
    quotes = SummaryQuote.objects.select_for_update().select_related("event", "summary")
    if author is not None:
        quotes = quotes.filter(event__author=author)
    quote = quotes.filter(pk=quote_id, summary__session=session, event__removed=False).first()
    if quote is None:
        raise Http404("No such quote.")
    return quote


@transaction.atomic
def withdraw_quote(*, actor: User, session: LiveSession, quote_id) -> bool:
    """The quoted member takes their words out of the summary, within 48 hours of being quoted.
    Returns False if already withdrawn. A member who can no longer see the session (banned,
    removed) still reaches their own quotes, and only those: any other is a 404 to them."""
    sees = policy.can_see_session(actor, session)
    quote = _quote_or_404(session, quote_id, author=None if sees else actor)
    if quote.event.author_id != actor.pk:
        raise PermissionDenied("You can withdraw only your own words.")
    if quote.withdrawn_at is not None:
        return False
    if quote.summary.published_at is not None:
        raise PermissionDenied("The summary has been published; your quote stays in it.")
    if timezone.now() >= withdraw_until(quote):
        raise PermissionDenied(
            f"The 48 hours to withdraw this quote ended {when(withdraw_until(quote))}."
        )
    quote.withdrawn_at = timezone.now()
    quote.save(update_fields=["withdrawn_at"])
    return True


def _writer(summary: LiveSummary) -> User | None:
    """The account the thread is written under (shown as anonymous, never named)."""
    if summary.drafted_by is not None and summary.drafted_by.is_active:
        return summary.drafted_by
    return summary.session.facilitators.filter(is_active=True).order_by("pk").first()


@transaction.atomic
def publish_summary(*, actor: User | None, summary: LiveSummary) -> bool:
    """Publish once the 48-hour window has passed: the themes, the kept quotes and the
    session's actions, without attribution. ``actor`` None is the scheduled job. Returns False
    if it was already published."""
    summary = (
        LiveSummary.objects.select_for_update().select_related("session__space").get(pk=summary.pk)
    )
    if actor is not None:
        policy.check_facilitate(actor, summary.session)
    if summary.published_at is not None:
        return False
    ready = publishable_from(summary)
    if timezone.now() < ready:
        raise PermissionDenied(
            "Everyone quoted has 48 hours to withdraw their words: the summary can be published "
            f"from {when(ready)}."
        )
    if _publisher is None:
        raise ImproperlyConfigured("No summary publisher is registered.")
    writer = _writer(summary)
    if writer is None:
        raise PermissionDenied("No facilitator of this session can publish its summary.")
    summary.published_thread_id = _publisher(summary, kept_quotes(summary), writer)
    summary.published_at = timezone.now()
    summary.save(update_fields=["published_at", "published_thread_id"])
    return True


def publish_due_summaries() -> int:
    """The scheduled job: publish every draft whose window has passed. Idempotent; a summary
    that cannot be published (its writer may no longer post) is logged and left as a draft."""
    published = 0
    due = LiveSummary.objects.filter(published_at__isnull=True).order_by("pk")
    for summary in due:
        if timezone.now() < publishable_from(summary):
            continue
        try:
            published += publish_summary(actor=None, summary=summary)
        except (PermissionDenied, ValidationError, Http404):
            logger.warning("Live summary %s could not be published", summary.pk, exc_info=True)
    return published


def summary_markdown(summary: LiveSummary, quotes: list[SummaryQuote]) -> str:
    """The themes and the quotes as Markdown, with no names."""
    parts = ["## Themes", "", summary.themes.strip(), ""]
    if quotes:
        parts += ["## In participants’ words", ""]
        for quote in quotes:
            parts += [quote_markdown(quote.event.body), ""]
    return "\n".join(parts)


def quote_markdown(text: str) -> str:
    """One participant's words as the summary quotes them (a block quote, no name)."""
    lines = text.strip().splitlines() or [""]
    return "\n".join(f"> {line}" if line else ">" for line in lines)
