"""Thin views for live sessions: the list, the room, calendar files, transcripts, scheduling."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from community.http import safe_next

from . import feeds, ics, policy, selectors, services, summaries
from .forms import FeedbackForm, LiveSessionForm, SummaryForm
from .models import LiveSession
from .policy import LiveRefusal


def _session_or_404(request: HttpRequest, session_id: int) -> LiveSession:
    session = selectors.visible_session(request.user, session_id)
    if session is None:
        raise Http404("No such live session.")
    return session


def session_list(request: HttpRequest) -> HttpResponse:
    sessions = list(selectors.sessions_for_member(request.user))
    for session in sessions:
        session.can_facilitate = policy.can_facilitate(request.user, session)
        session.is_full = bool(session.capacity) and session.registered_count >= session.capacity
    return render(
        request,
        "realtime/session_list.html",
        {
            "sessions": sessions,
            "past": selectors.past_sessions_for_member(request.user)[:10],
            "can_schedule": selectors.spaces_to_schedule_in(request.user).exists(),
        },
    )


def room(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    context = {
        "session": session,
        "crumbs": [("Home", reverse("home")), ("Live sessions", reverse("live_list"))],
    }
    refusal = policy.room_refusal(request.user, session)
    if refusal is not None:
        # Suspended, or removed from this session: the header and why, nothing said in it (not
        # even what was said before), no composer, no socket.
        until = refusal.extra.get("until")
        context.update(
            refusal=refusal,
            refused_until=datetime.fromisoformat(until) if until else None,
            transcript_allowed=policy.can_read_transcript(request.user, session),
        )
        return render(request, "realtime/room.html", context)
    muted = policy.mute_refusal(request.user, session)
    facilitating = policy.can_facilitate(request.user, session)
    registered = session.registrations.filter(user=request.user).exists()
    context.update(
        {
            "events": selectors.recent_events(session),
            "presence": selectors.presence_for(session.pk, facilitating=facilitating),
            "hands": selectors.hands(session.pk),
            "facilitating": facilitating,
            "backchannel": policy.can_use_backchannel(request.user, session)
            and session.status != LiveSession.Status.ENDED,
            "composer_closed": policy.composer_closed_reason(session, facilitating=facilitating),
            "polls": selectors.has_polls(session.pk),
            "poll_question_max": services.POLL_QUESTION_MAX,
            # The composer starts muted (Send disabled, why and until when); live.js re-enables
            # it when the mute ends or is lifted.
            "muted": muted,
            "muted_until": datetime.fromisoformat(muted.extra["until"]) if muted else None,
            "max_chars": settings.LIVE_MESSAGE_MAX_CHARS,
            "is_registered": registered,
            "call_url": session.call_url
            if policy.shows_call_link(request.user, session, registered=registered)
            else "",
            "transcript_allowed": True,
        }
    )
    return render(request, "realtime/room.html", context)


def calendar(request: HttpRequest, session_id: int) -> HttpResponse:
    """An RFC 5545 calendar file for one session (the title and a link, nothing said in it)."""
    session = _session_or_404(request, session_id)
    event = ics.session_event(session, stamp=timezone.now())
    response = HttpResponse(ics.feed([event]), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="live-session-{session.pk}.ics"'
    return response


@login_not_required
@require_GET
def feed(request: HttpRequest) -> HttpResponse:
    """The member's calendar feed, for calendar apps: the token in the address is the only
    credential (a session cookie is neither needed nor used). Unknown or reset: 404."""
    owner = feeds.owner_of(request.GET.get("token", ""))
    if owner is None:
        raise Http404("No such calendar feed.")
    now = timezone.now()
    events = [
        ics.session_event(
            session, stamp=now, note="You are registered." if session.is_registered else ""
        )
        for session in feeds.sessions_in_feed(owner)
    ]
    response = HttpResponse(
        ics.feed(events, name="Live sessions: Race Equality Peer Forum"),
        content_type="text/calendar; charset=utf-8",
    )
    response["Cache-Control"] = "private, max-age=300"
    response["X-Robots-Tag"] = "noindex"
    return response


@require_POST
def feed_reset(request: HttpRequest) -> HttpResponse:
    feeds.reset_feed(actor=request.user)
    messages.success(
        request, "Your calendar address has been changed. The old one no longer works."
    )
    return redirect(safe_next(request, reverse("live_list")))


def transcript(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    policy.check_read_transcript(request.user, session)
    if session.status != LiveSession.Status.ENDED:
        messages.info(request, "The transcript is available once the session has ended.")
        return redirect(session)
    kept = session.retention_days > 0 and session.transcript_purged_at is None
    return render(
        request,
        "realtime/transcript.html",
        {
            "session": session,
            "events": selectors.with_poll_totals(list(selectors.transcript(session)))
            if kept
            else [],
            "kept": kept,
            "crumbs": [
                ("Live sessions", reverse("live_list")),
                (session.title, session.get_absolute_url()),
            ],
        },
    )


@require_POST
def register(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    try:
        if services.register(actor=request.user, session=session):
            messages.success(request, f"You are registered for “{session.title}”.")
    except PermissionDenied as exc:
        messages.error(request, str(exc))
    return redirect(
        (request.POST.get("next") == "room" and session.get_absolute_url()) or reverse("live_list")
    )


@require_POST
def cancel(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    if services.cancel_registration(actor=request.user, session=session):
        messages.success(request, f"Your place at “{session.title}” is cancelled.")
    return redirect("live_list")


STATUS_ACTIONS = {
    "open": services.open_session,
    "start": services.start_session,
    "end": services.end_session,
}


@require_POST
def change_status(request: HttpRequest, session_id: int, action: str) -> HttpResponse:
    session = _session_or_404(request, session_id)
    service = STATUS_ACTIONS.get(action)
    if service is None:
        raise Http404("No such action.")
    policy.check_facilitate(request.user, session)
    try:
        service(actor=request.user, session=session)
    except LiveRefusal as exc:
        messages.error(request, exc.detail)
    return redirect(session)


def _form(request: HttpRequest, session: LiveSession | None):
    spaces = selectors.spaces_to_schedule_in(request.user)
    if session is not None:
        spaces = spaces.filter(pk=session.space_id)
    return LiveSessionForm(
        request.POST or None,
        instance=session,
        spaces=spaces,
        facilitator_choices=selectors.facilitator_choices(spaces),
        editing=session is not None,
        initial={} if session is None else {"facilitators": session.facilitators.all()},
    )


def _save(request: HttpRequest, form: LiveSessionForm, session: LiveSession | None):
    data = {k: v for k, v in form.cleaned_data.items() if k not in ("space", "facilitators")}
    facilitators = list(form.cleaned_data.get("facilitators") or []) or None
    try:
        if session is None:
            return services.create_session(
                actor=request.user,
                space=form.cleaned_data["space"],
                facilitators=facilitators,
                **data,
            )
        services.update_session(
            actor=request.user, session=session, facilitators=facilitators, **data
        )
        return session
    except ValidationError as exc:
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    return None


def session_create(request: HttpRequest) -> HttpResponse:
    if not selectors.spaces_to_schedule_in(request.user).exists():
        raise PermissionDenied("Only facilitators and moderators can schedule live sessions.")
    form = _form(request, None)
    if request.method == "POST" and form.is_valid():
        session = _save(request, form, None)
        if session is not None:
            messages.success(request, "Session scheduled.")
            return redirect(session)
    return render(request, "realtime/session_form.html", {"form": form, "session": None})


def session_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    policy.check_facilitate(request.user, session)
    form = _form(request, session)
    if request.method == "POST" and form.is_valid():
        try:
            saved = _save(request, form, session)
        except PermissionDenied as exc:
            messages.error(request, str(exc))
            return redirect(session)
        if saved is not None:
            messages.success(request, "Session updated.")
            return redirect(session)
    return render(request, "realtime/session_form.html", {"form": form, "session": session})


def feedback(request: HttpRequest, session_id: int) -> HttpResponse:
    """The anonymous feedback form after the end, for those who came."""
    session = _session_or_404(request, session_id)
    crumbs = [
        ("Live sessions", reverse("live_list")),
        (session.title, session.get_absolute_url()),
    ]
    policy.check_see_session(request.user, session)
    refusal = policy.feedback_refusal(request.user, session)
    form = FeedbackForm(request.POST or None)
    if refusal is None and request.method == "POST" and form.is_valid():
        try:
            services.give_feedback(actor=request.user, session=session, **form.cleaned_data)
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except PermissionDenied as exc:
            refusal = str(exc)
        else:
            messages.success(request, "Thank you: your feedback was saved, without your name.")
            return redirect(session)
    status = 403 if refusal and request.method == "POST" else 200
    return render(
        request,
        "realtime/feedback.html",
        {"session": session, "form": form, "refusal": refusal, "crumbs": crumbs},
        status=status,
    )


def feedback_results(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    policy.check_see_feedback(request.user, session)
    return render(
        request,
        "realtime/feedback_results.html",
        {
            "session": session,
            "summary": selectors.feedback_summary(session),
            "shown_from": policy.FEEDBACK_SHOWN_FROM,
            "crumbs": [
                ("Live sessions", reverse("live_list")),
                (session.title, session.get_absolute_url()),
            ],
        },
    )


def _summary_crumbs(session: LiveSession) -> list[tuple[str, str]]:
    return [("Live sessions", reverse("live_list")), (session.title, session.get_absolute_url())]


def summary_edit(request: HttpRequest, session_id: int) -> HttpResponse:
    """A facilitator drafts the summary after the end: themes, and quotes picked from the
    stream (shown without names)."""
    session = _session_or_404(request, session_id)
    summaries.check_draft_summary(request.user, session)
    summary = summaries.summary_of(session)
    quotes = list(summaries.summary_quotes(summary)) if summary else []
    chosen = {str(q.event.seq) for q in quotes if q.withdrawn_at is None}
    form = SummaryForm(request.POST or None, initial={"themes": summary.themes if summary else ""})
    status = 200
    if request.method == "POST":
        chosen = set(request.POST.getlist("quote"))
        try:
            summaries.save_summary_draft(
                actor=request.user,
                session=session,
                themes=request.POST.get("themes", ""),
                seqs=request.POST.getlist("quote"),
            )
        except ValidationError as exc:
            form.is_valid()
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
            status = 400
        except PermissionDenied as exc:
            form.is_valid()
            form.add_error(None, str(exc))
            status = 403
        else:
            messages.success(
                request,
                "The draft is saved. Everyone newly quoted has been told, and has 48 hours to "
                "withdraw their words.",
            )
            return redirect("live_summary", session_id=session.pk)
    withdrawn = {q.event.seq for q in quotes if q.withdrawn_at is not None}
    events = [e for e in summaries.quotable_events(session) if e.seq not in withdrawn]
    ready = summaries.publishable_from(summary) if summary else None
    return render(
        request,
        "realtime/summary_edit.html",
        {
            "session": session,
            "summary": summary,
            "form": form,
            "events": events,
            "chosen": chosen,
            "quotes": quotes,
            "max_quotes": summaries.MAX_QUOTES,
            "ready": ready,
            "can_publish": bool(summary and not summary.published_at and timezone.now() >= ready),
            "crumbs": _summary_crumbs(session),
        },
        status=status,
    )


@require_POST
def summary_publish(request: HttpRequest, session_id: int) -> HttpResponse:
    session = _session_or_404(request, session_id)
    policy.check_facilitate(request.user, session)
    summary = summaries.summary_of(session)
    if summary is None:
        raise Http404("No summary has been drafted.")
    try:
        published = summaries.publish_summary(actor=request.user, summary=summary)
    except (PermissionDenied, ValidationError) as exc:
        messages.error(request, exc.messages[0] if isinstance(exc, ValidationError) else str(exc))
        return redirect("live_summary", session_id=session.pk)
    if published:
        messages.success(request, "The summary is published in the space, without names.")
    return redirect("live_summary", session_id=session.pk)


def _quoted_session_or_404(request: HttpRequest, session_id: int) -> LiveSession:
    """The session for its summary's quotes page: visible to the member, or one whose summary
    quotes them though they can no longer see it (only their own quotes are shown)."""
    session = selectors.visible_session(request.user, session_id)
    if session is None:
        session = summaries.session_quoting(request.user, session_id)
    if session is None:
        raise Http404("No such live session.")
    return session


def summary_quotes(request: HttpRequest, session_id: int) -> HttpResponse:
    """A quoted member's own words in the draft summary, each with Withdraw for 48 hours."""
    return _quotes_page(request, _quoted_session_or_404(request, session_id))


def _quotes_page(
    request: HttpRequest, session: LiveSession, refusal: str = "", status: int = 200
) -> HttpResponse:
    quotes = summaries.my_quotes(request.user, session)
    sees = policy.can_see_session(request.user, session)
    now = timezone.now()
    for quote in quotes:
        quote.until = summaries.withdraw_until(quote)
        quote.can_withdraw = (
            quote.withdrawn_at is None and quote.summary.published_at is None and now < quote.until
        )
    return render(
        request,
        "realtime/summary_quotes.html",
        {
            "session": session,
            "quotes": quotes,
            "refusal": refusal,
            "crumbs": _summary_crumbs(session) if sees else [],
            "sees_session": sees,
        },
        status=status,
    )


@require_POST
def summary_withdraw(request: HttpRequest, session_id: int, quote_id: int) -> HttpResponse:
    session = _quoted_session_or_404(request, session_id)
    try:
        summaries.withdraw_quote(actor=request.user, session=session, quote_id=quote_id)
    except PermissionDenied as exc:
        return _quotes_page(request, session, refusal=str(exc), status=403)
    messages.success(request, "Your quote is withdrawn: it will not appear in the summary.")
    return redirect("live_summary_quotes", session_id=session.pk)
