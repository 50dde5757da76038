"""Demo threads for ``manage.py seed_demo`` (SPEC.md "Demo data"). Idempotent: a thread is
created once, identified by its space and title."""

from __future__ import annotations

from django.db import transaction

from moderation.models import Flag, FlagReason
from moderation.services import flag_item

from .models import Post, PostStatus, Thread, ThreadKind, ThreadVisibility
from .services import create_reply, create_thread, follow_space

# (space slug, author key, title, kind, body, options, replies as (author key, body, anonymous))
THREADS = [
    (
        "leadership-accountability",
        "moderator",
        "What does “race equality as core board business” look like in your trust?",
        ThreadKind.DISCUSSION,
        "Our board has agreed that race equality is core business, not a side project. "
        "What has made that real in your trust: **standing agenda items**, objectives in "
        "executive appraisals, or something else?",
        {"is_pinned": True},
        [
            (
                "member",
                "We added a WRES measure to every executive's objectives. It changed the "
                "conversation in appraisals more than any training did.",
                False,
            ),
            (
                "facilitator",
                "Our staff network chair now attends board twice a year with a "
                "standing slot. The questions the board asks have become sharper.",
                False,
            ),
        ],
    ),
    (
        "leadership-accountability",
        "member",
        "Questions our board should be asking itself about WRES data",
        ThreadKind.QUESTION,
        "We publish our WRES data every year, but I am not sure we ask the right questions of "
        "it. Which questions have you found most useful?",
        {"visibility": ThreadVisibility.COMMUNITY},
        [
            (
                "moderator",
                "Start with: *which indicators have not moved in three years, and who "
                "owns each of them?*",
                False,
            )
        ],
    ),
    (
        "inclusive-recruitment",
        "member",
        "Case study: de-biasing shortlisting for band 8a and above",
        ThreadKind.CASE_STUDY,
        "We removed names and places of training from applications for senior posts and "
        "added a diverse panel member. Here is what happened over 12 months.\n\n"
        "- Shortlisting of ethnic-minority applicants rose\n- Appointments rose more slowly\n"
        "- Panel training mattered more than anonymisation",
        {},
        [
            (
                "facilitator",
                "Thank you for sharing the numbers honestly. Did you look at "
                "interview scoring too?",
                False,
            )
        ],
    ),
    (
        "inclusive-recruitment",
        "moderator",
        "Resources: supporting internationally educated colleagues",
        ThreadKind.RESOURCE,
        "A short list of guides we found useful for induction and pastoral support of "
        "internationally educated nurses and doctors. Add yours below.",
        {},
        [],
    ),
    (
        "allyship",
        "facilitator",
        "Being an active bystander: what helped you step in?",
        ThreadKind.DISCUSSION,
        "Many of us know what we *should* do when we witness a racist remark. What actually "
        "helped you act in the moment?",
        {},
        [
            (
                "member",
                "Having a simple phrase ready: “I'm not comfortable with that comment.”",
                False,
            )
        ],
    ),
    (
        "allyship",
        "newcomer",
        "New here: how do I start as an ally in a recruitment team?",
        ThreadKind.QUESTION,
        "I have just joined this space. Where would you start?",
        {},
        [],
    ),
    (
        "safe-spaces",
        "member",
        "Something happened on my ward and I do not know who to tell",
        ThreadKind.DISCUSSION,
        "A colleague repeatedly mispronounces and mocks names of staff from overseas. When I "
        "raised it informally I was told it was banter. I would value advice from people who "
        "have been in a similar place.",
        {"anonymous": True},
        [
            (
                "facilitator",
                "Thank you for trusting us with this. It is not banter. Would it help "
                "to talk through your Freedom to Speak Up options?",
                False,
            ),
            ("member", "Thank you. Yes, that would help.", True),
        ],
    ),
    (
        "safe-spaces",
        "facilitator",
        "Reflections after our “Can we talk about race?” session",
        ThreadKind.DISCUSSION,
        "Some of the experiences shared in the session were hard to hear. I have written up "
        "the themes, without names.\n\nPatients refusing care from Black staff came up "
        "several times, along with how managers responded.",
        {"content_note": "describes racist abuse from patients"},
        [],
    ),
    (
        "health-inequalities",
        "moderator",
        "Maternity outcomes: what is working in your area?",
        ThreadKind.DISCUSSION,
        "Black women remain far more likely to die in pregnancy and childbirth. Which local "
        "actions have made a measurable difference?",
        {},
        [
            (
                "member",
                "Continuity of carer teams in our most deprived postcodes, co-designed with "
                "local community groups.",
                False,
            )
        ],
    ),
    (
        "health-inequalities",
        "member",
        "Case study: interpreting services in emergency care",
        ThreadKind.CASE_STUDY,
        "How we cut waiting times for interpreters in our emergency department.",
        {},
        [],
    ),
]


@transaction.atomic
def seed(ctx) -> None:
    for slug, author_key, title, kind, body, options, replies in THREADS:
        space = ctx.spaces.get(slug)
        author = ctx.users.get(author_key)
        if (
            space is None
            or author is None
            or Thread.objects.filter(space=space, title=title).exists()
        ):
            continue
        thread = create_thread(
            actor=author,
            space=space,
            title=title,
            body=body,
            kind=kind,
            visibility=options.get("visibility", ThreadVisibility.SPACE),
            content_note=options.get("content_note", ""),
            anonymous=options.get("anonymous", False),
        )
        for reply_author, reply_body, anonymous in replies:
            create_reply(
                actor=ctx.users[reply_author], thread=thread, body=reply_body, anonymous=anonymous
            )
        if options.get("is_pinned"):
            Thread.objects.filter(pk=thread.pk).update(is_pinned=True)
    member = ctx.users.get("member")
    if member is not None and "safe-spaces" in ctx.spaces:
        follow_space(actor=member, space=ctx.spaces["safe-spaces"])
    _seed_flag(ctx)


def _seed_flag(ctx) -> None:
    """One open flag from ``member`` on a published reply someone else wrote (once)."""
    flagger = ctx.users.get("member")
    space = ctx.spaces.get("safe-spaces") or next(iter(ctx.spaces.values()), None)
    if flagger is None or space is None or Flag.objects.filter(flagger=flagger).exists():
        return
    post = (
        Post.objects.filter(
            thread__space=space, status=PostStatus.PUBLISHED, is_deleted=False, is_opening=False
        )
        .exclude(author=flagger)
        .exclude(author=None)
        .select_related("thread__space", "author")
        .order_by("created_at", "pk")
        .first()
    )
    if post is not None:
        flag_item(
            actor=flagger,
            target=post,
            reason=FlagReason.OTHER,
            details="Demo flag: this names a colleague's team; could a moderator check it is okay?",
        )
