"""Publishing a live session's agreed summary (realtime.summaries) as an unattributed
``resource`` thread in the session's space, with links to the session's proposed actions."""

from __future__ import annotations

from django.urls import reverse

from community.models import User
from realtime import summaries
from realtime.models import LiveSummary, SummaryQuote
from threads import services as thread_services
from threads.models import TITLE_MAX, ThreadKind

from .models import ActionProposal


def publish_as_thread(summary: LiveSummary, quotes: list[SummaryQuote], writer: User) -> int:
    """Write the thread under ``writer`` as anonymous (the space's anonymous label, never a
    name). Called by :func:`realtime.summaries.publish_summary` inside its transaction."""
    session = summary.session
    body = summaries.summary_markdown(summary, quotes)
    actions = list(ActionProposal.objects.filter(session=session).order_by("created_at", "pk"))
    if actions:
        lines = [f"- {proposal.text}" for proposal in actions]
        link = reverse("live_actions", args=[session.pk])
        body += "\n## Proposed actions\n\n" + "\n".join(lines)
        body += f"\n\n[Adopt an action as your commitment]({link})\n"
    thread = thread_services.create_thread(
        actor=writer,
        space=session.space,
        title=f"Summary: {session.title}"[:TITLE_MAX],
        body=body,
        kind=ThreadKind.RESOURCE,
        anonymous=True,
    )
    return thread.pk


def forget_quotes_of(user: User) -> int:
    """Erasure with the member's words removed: their quotes leave every summary, and a
    published one's thread loses them (text, pending edit and revisions). Call it before
    realtime's erasure empties the messages. Returns how many quotes went."""
    quotes = list(
        SummaryQuote.objects.filter(event__author=user).select_related("event", "summary")
    )
    published: dict[int, list[str]] = {}
    for quote in quotes:
        if quote.summary.published_thread_id and quote.event.body.strip():
            published.setdefault(quote.summary.published_thread_id, []).append(
                summaries.quote_markdown(quote.event.body)
            )
    for thread_id, passages in published.items():
        thread_services.strip_passages(thread_id=thread_id, passages=passages)
    SummaryQuote.objects.filter(pk__in=[quote.pk for quote in quotes]).delete()
    return len(quotes)
