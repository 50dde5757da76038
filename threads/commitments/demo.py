"""Demo commitments and a structured case study for ``manage.py seed_demo``. Idempotent: each
commitment is created once, identified by its owner and text; the case study by its title.

member@example.org gets three commitments: one overdue (private), one done with a report in the
thread it came from (shared with leadership-accountability), and one in progress shared
anonymously with inclusive-recruitment. An ended live session in allyship has two proposed
actions; the member attended it.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from community.rendering import render_markdown
from realtime.models import LiveSession, Registration
from threads.models import Thread

from . import services
from .models import ActionProposal, CaseStudy, Commitment

CASE_STUDY_TITLE = "Case study: diverse interview panels for senior posts"
ENDED_SESSION_TITLE = "Ended: allyship in practice, a peer-learning circle"


def _once(owner, text: str, **fields) -> Commitment:
    existing = Commitment.objects.filter(owner=owner, text=text).first()
    if existing is not None:
        return existing
    return services.create_commitment(actor=owner, text=text, **fields)


def _case_study(ctx) -> None:
    space = ctx.spaces.get("inclusive-recruitment")
    author = ctx.users.get("moderator")
    if space is None or author is None or Thread.objects.filter(title=CASE_STUDY_TITLE).exists():
        return
    services.create_case_study(
        actor=author,
        space=space,
        title=CASE_STUDY_TITLE,
        summary="How one trust changed who sits on interview panels for band 8a and above, "
        "and what it did to appointments from shortlisting.",
        sections={
            "context": "Ethnic-minority applicants were shortlisted for senior posts at the same "
            "rate as white applicants but appointed far less often. Panels were mostly white "
            "senior managers who knew each other well.",
            "actions": "- Every panel for band 8a and above includes a trained panel member "
            "from a different directorate\n- Scoring is done independently before discussion\n"
            "- The staff network reviews a sample of decisions each quarter",
            "changed": "Appointments of ethnic-minority applicants from shortlisting rose over "
            "eighteen months, and panel members say discussions are more careful.",
            "measure": "Relative likelihood of white applicants being appointed from shortlisting",
            "before": "1.9",
            "after": "1.3",
            "did_not_work": "Asking for volunteers: the same few people did every panel and burnt "
            "out. A rota with protected time worked better.",
            "contact": "The trust's head of resourcing (ask in this space).",
        },
        wres_indicator=2,
    )


def _ended_session(ctx) -> LiveSession | None:
    # In allyship: safe-spaces keeps exactly the scheduled and the live session of SPEC.md.
    space = ctx.spaces.get("allyship")
    facilitator = ctx.users.get("facilitator")
    member = ctx.users.get("member")
    if space is None or facilitator is None or member is None:
        return None
    now = timezone.now()
    description = "Members shared what allyship looked like on a hard day, and what helped."
    session, _ = LiveSession.objects.get_or_create(
        space=space,
        title=ENDED_SESSION_TITLE,
        defaults={
            "description": description,
            "description_html": render_markdown(description),
            "starts_at": now - timedelta(days=3, hours=1),
            "ends_at": now - timedelta(days=3),
            "status": LiveSession.Status.ENDED,
            "started_at": now - timedelta(days=3, hours=1),
            "ended_at": now - timedelta(days=3),
            "created_by": facilitator,
        },
    )
    session.facilitators.add(facilitator)
    Registration.objects.get_or_create(session=session, user=member)
    for text in (
        "Ask one colleague from an ethnic minority what would make it safer to speak up, "
        "and act on one thing they say.",
        "Step in the next time you hear a name mocked or mispronounced, with a phrase you have "
        "ready.",
    ):
        if not ActionProposal.objects.filter(session=session, text=text).exists():
            services.propose_action(actor=facilitator, session=session, text=text)
    return session


@transaction.atomic
def seed(ctx) -> None:
    _case_study(ctx)
    _ended_session(ctx)
    member = ctx.users.get("member")
    if member is None or len(ctx.spaces) < 5:
        return
    today = timezone.localdate()
    overdue = _once(
        member,
        "Book a meeting with our staff network chair to agree what the board hears from them.",
        why="The network's voice reaches the board second-hand.",
        due_on=today,
        area="leadership-accountability",
    )
    if overdue.due_on >= today and not overdue.updates.exists():
        # Services refuse a date in the past; the demo needs one that has passed.
        Commitment.objects.filter(pk=overdue.pk).update(
            due_on=today - timedelta(days=10), created_at=timezone.now() - timedelta(days=40)
        )
    leadership = ctx.spaces["leadership-accountability"]
    source = Thread.objects.filter(
        space=leadership, title="Questions our board should be asking itself about WRES data"
    ).first()
    done = _once(
        member,
        "Put the three WRES indicators that have not moved in three years on the board agenda.",
        why="We publish the data every year but the board never discusses it.",
        due_on=today + timedelta(days=14),
        area="leadership-accountability",
        wres_indicator=9,
        visibility="space",
        space=leadership,
        source_thread=source,
    )
    if done.is_open:
        services.add_update(
            actor=member,
            commitment=done,
            happened="The board discussed indicators 2, 5 and 9 for forty minutes, with the "
            "staff network chair in the room.",
            learned="Naming an owner for each indicator changed the tone of the discussion.",
            hard="Keeping it from turning into a presentation of the data.",
            status="done",
            closing_note="Each of the three indicators now has an executive owner and a "
            "quarterly report to the board.",
            report=source is not None,
        )
    recruitment = ctx.spaces["inclusive-recruitment"]
    case_study = Thread.objects.filter(title=CASE_STUDY_TITLE).first()
    shared = _once(
        member,
        "Pilot diverse interview panels for band 8a posts in nursing.",
        due_on=today + timedelta(days=60),
        area="inclusive-recruitment",
        wres_indicator=2,
        visibility="space",
        space=recruitment,
        anonymous=True,
        source_thread=case_study if CaseStudy.objects.filter(thread=case_study).exists() else None,
    )
    if shared.status == "planned":
        services.add_update(
            actor=member,
            commitment=shared,
            happened="Agreed the pilot with the chief nurse; recruiting panel members now.",
            status="in-progress",
        )
