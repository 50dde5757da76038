"""Add a reproducible, realistic benchmark data set (SPEC.md "Benchmark data").

Run it after ``seed_demo``. Everything is drawn from ``random.Random(seed)``: the same seed on
the same starting database gives the same members, spaces, threads, posts, reactions, follows,
read states, notifications and live events (times are offsets from the moment it runs).
Rows go in with ``bulk_create`` in batches; the denormalised counters (``Thread.post_count``,
``Thread.last_post_at``, ``LiveSession.last_seq``) are computed while generating, so they are
right without a second pass. The last line of output is one JSON object (SPEC.md).
"""

from __future__ import annotations

import json
import random
import time
import uuid
from bisect import bisect
from collections import Counter
from datetime import datetime, timedelta
from itertools import accumulate

from allauth.account.models import EmailAddress
from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify
from tqdm import tqdm

from community.demo import DEFAULT_PASSWORD, SPACE_SLUGS
from community.models import GuidelinesAcceptance, GuidelinesVersion, Membership, Space, User
from community.rendering import RENDERER_VERSION, render_markdown
from threads.models import (
    Notification,
    NotificationKind,
    Post,
    PostStatus,
    Reaction,
    ReactionKind,
    ReadState,
    SpaceFollow,
    Thread,
    ThreadFollow,
    ThreadKind,
    ThreadVisibility,
)

BIG_THREAD_SPACE = "safe-spaces"
BENCH_MEMBER = "member@example.org"

# Vocabulary for titles and bodies, on the programme's themes.
FIRST_NAMES = [
    "Aisha",
    "Amara",
    "Ben",
    "Chidi",
    "Chloe",
    "Deepa",
    "Dev",
    "Efua",
    "Emeka",
    "Farah",
    "Grace",
    "Hassan",
    "Imran",
    "Ife",
    "Jas",
    "Jamal",
    "Kemi",
    "Kwame",
    "Laila",
    "Leon",
    "Mei",
    "Marcus",
    "Nia",
    "Noor",
    "Obi",
    "Olu",
    "Priya",
    "Rahul",
    "Rosa",
    "Sade",
    "Sanjay",
    "Tariq",
    "Tomas",
    "Uche",
    "Vikram",
    "Wen",
    "Yusuf",
    "Zainab",
    "Zara",
    "Ana",
    "Hannah",
    "Ravi",
    "Funmi",
    "Ciaran",
    "Sian",
    "Gareth",
    "Niamh",
    "Kofi",
    "Li",
]
LAST_NAMES = [
    "Adebayo",
    "Ahmed",
    "Akhtar",
    "Bello",
    "Brown",
    "Campbell",
    "Chowdhury",
    "Davies",
    "Evans",
    "Francis",
    "Ghosh",
    "Gordon",
    "Hughes",
    "Iqbal",
    "Jones",
    "Kaur",
    "Khan",
    "Lewis",
    "Mensah",
    "Miah",
    "Mohamed",
    "Murphy",
    "Nwosu",
    "Okafor",
    "Osei",
    "Owusu",
    "Patel",
    "Rahman",
    "Reid",
    "Roberts",
    "Shah",
    "Singh",
    "Smith",
    "Taylor",
    "Thomas",
    "Walker",
    "Williams",
    "Wong",
    "Yeboah",
    "Zhou",
]
ORGANISATIONS = [
    f"{place} {kind}"
    for place in (
        "Northfield",
        "Riverside",
        "Eastgate",
        "Westbrook",
        "Southmoor",
        "Highcliffe",
        "Millbank",
        "Oakwood",
        "Castleford",
        "Harbourside",
        "Greenvale",
        "Kingsmead",
    )
    for kind in (
        "NHS Foundation Trust",
        "Hospitals NHS Trust",
        "Mental Health Trust",
        "Community Health Services",
        "Ambulance Service",
    )
]
JOBS = [
    "Chief Executive",
    "Chief People Officer",
    "Director of Nursing",
    "Medical Director",
    "Non-executive Director",
    "Head of Equality, Diversity and Inclusion",
    "Staff network chair",
    "Freedom to Speak Up Guardian",
    "Ward manager",
    "Recruitment lead",
    "Organisational development lead",
    "Head of Patient Experience",
    "Consultant",
    "Practice development nurse",
    "Workforce analyst",
]
PRONOUNS = ["", "", "", "she/her", "he/him", "they/them"]
EXTRA_SPACES = [
    ("North West regional network", "A peer network for trusts across the North West."),
    ("Midlands regional network", "Trusts in the Midlands sharing what works locally."),
    ("London regional network", "Leaders from London trusts learning from each other."),
    ("South West regional network", "A regional circle for the South West."),
    ("North East and Yorkshire network", "Peer learning across the North East and Yorkshire."),
    ("East of England network", "Trusts in the East of England comparing approaches."),
    ("South East regional network", "A regional circle for the South East."),
    ("Board cohort 1", "The first cohort of board members on the programme."),
    ("Board cohort 2", "The second cohort of board members on the programme."),
    ("Board cohort 3", "The third cohort of board members on the programme."),
    ("Staff network chairs", "Chairs of race equality and ethnic-minority staff networks."),
    ("Freedom to Speak Up guardians", "Guardians sharing how they support colleagues."),
    ("Internationally educated nurses", "Support for internationally educated colleagues."),
    ("Reverse mentoring", "Running reverse-mentoring schemes between staff and executives."),
    ("WRES data and metrics", "Making sense of Workforce Race Equality Standard data."),
    ("Maternity outcomes", "Tackling racial disparities in maternity care."),
    ("Mental health equity", "Racialised inequality in mental health services."),
    ("Primary care partners", "Working with primary care on health inequalities."),
    ("HR and employee relations", "Fair disciplinary processes and employee relations."),
    ("Executive sponsors", "Executive sponsors of race equality work."),
]
TOPICS = [
    "our WRES data",
    "disciplinary processes",
    "shortlisting panels",
    "reverse mentoring",
    "the staff network",
    "board development",
    "exit interviews",
    "international recruitment",
    "bullying and harassment reports",
    "maternity outcomes",
    "access to mental health services",
    "talent pipelines",
    "inclusive leadership training",
    "Freedom to Speak Up",
    "de-biasing recruitment",
    "career progression for band 5 nurses",
    "patient complaints about racism",
    "pay gap reporting",
    "listening events",
    "allyship training",
]
TITLE_PATTERNS = {
    ThreadKind.DISCUSSION: [
        "How are boards holding themselves to account on {topic}?",
        "What changed after we published {topic}",
        "Making {topic} more than a tick-box exercise",
        "Lessons from a year of work on {topic}",
        "Is anyone else finding {topic} hard to move?",
    ],
    ThreadKind.QUESTION: [
        "How do you measure progress on {topic}?",
        "Who owns {topic} at executive level in your trust?",
        "Any templates for {topic}?",
        "How did you get buy-in for {topic}?",
        "What would you do differently with {topic}?",
    ],
    ThreadKind.CASE_STUDY: [
        "Case study: rethinking {topic} at {org}",
        "Case study: two years of {topic}",
        "What we learned from {topic} at {org}",
    ],
    ThreadKind.RESOURCE: [
        "Resource: a short guide to {topic}",
        "Slides and notes on {topic}",
        "Reading list: {topic}",
    ],
}
KIND_WEIGHTS = [
    (ThreadKind.DISCUSSION, 55),
    (ThreadKind.QUESTION, 25),
    (ThreadKind.CASE_STUDY, 12),
    (ThreadKind.RESOURCE, 8),
]
CONTENT_NOTES = [
    "Describes racist abuse",
    "Mentions self-harm",
    "Describes a disciplinary hearing",
    "Quotes racist language",
    "Discusses a death in care",
]
OPENINGS = [
    "Thank you for starting this conversation.",
    "This really resonates with what we are seeing at {org}.",
    "I want to build on what was said above.",
    "A question for the group before I share our experience.",
    "We tried something similar last year.",
    "I relate to this more than I expected to.",
    "Speaking as a staff network chair,",
    "From the board's side of the table,",
]
SENTENCES = [
    "Our data on {topic} showed a gap we could no longer explain away.",
    "The turning point was when the executive team owned {topic} rather than delegating it.",
    "Colleagues told us that {topic} felt like something done *to* them, not with them.",
    "We now report on {topic} to the board every quarter, with named owners.",
    "Internationally educated nurses described feeling invisible in conversations about {topic}.",
    "It took a difficult conversation in a safe space before anything changed on {topic}.",
    "We paired every shortlisting panel with a trained inclusion adviser.",
    "Ethnic-minority staff were still twice as likely to enter a formal disciplinary process.",
    "The staff network asked us to stop counting training hours and start counting outcomes.",
    "Leaders need the confidence and capability to act, not just awareness.",
    "Hearts and minds matter, but so does taking accountability for the numbers.",
    "Patients from racialised communities waited longer for the same care.",
    "We set a target for the proportion of ethnic-minority staff at band 8a and above.",
    "Reverse mentoring changed how two of our executives talked about race.",
    "Exit interviews told a consistent story that nobody had read across the whole trust.",
    "Allyship means doing something when it costs you, not only when it is easy.",
]
LIST_ITEMS = [
    "name an executive owner",
    "publish the data, including the uncomfortable parts",
    "ask staff what would make a difference",
    "review every case at the decision point",
    "fund the staff network properly",
    "report progress to the board in public",
    "check who is offered acting-up opportunities",
    "follow up with people who raise concerns",
]
CLOSINGS = [
    "Happy to share our paper if it helps.",
    "I'd love to hear how others have approached this.",
    "More on this at the next peer-learning session.",
    "There is a useful summary at https://www.nhsconfed.org/ for anyone new to it.",
    "Thank you all for being so open here.",
    "",
]
LIVE_LINES = [
    "Thank you for the framing, {name}.",
    "Can we come back to accountability at board level?",
    "In our trust this sits with the chief people officer.",
    "I relate to that: it took us three years to see any movement.",
    "How do you keep momentum when the sponsor changes?",
    "+1 to measuring outcomes rather than activity.",
    "Could we hear from someone in primary care?",
    "That is exactly what our staff network said.",
    "What did the board ask for when you presented the data?",
    "We publish our WRES action plan with named owners now.",
]


class Command(BaseCommand):
    help = "Add a reproducible benchmark data set (run after seed_demo). Prints JSON last."

    def add_arguments(self, parser):
        parser.add_argument("--members", type=int, default=2000)
        parser.add_argument("--spaces", type=int, default=20, help="Spaces besides the five.")
        parser.add_argument("--threads", type=int, default=20000)
        parser.add_argument(
            "--posts", type=int, default=200000, help="All posts, opening posts included."
        )
        parser.add_argument("--big-thread-posts", type=int, default=5000)
        parser.add_argument("--live-sessions", type=int, default=50)
        parser.add_argument("--live-events", type=int, default=100000)
        parser.add_argument(
            "--commitments", type=int, default=2000, help="Commitments, with their updates."
        )
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--batch-size", type=int, default=2000)
        parser.add_argument("--distinct-bodies", type=int, default=3000)
        parser.add_argument("--password", default=DEFAULT_PASSWORD)
        parser.add_argument("--no-progress", action="store_true")

    # --------------------------------------------------------------------------------------

    def handle(self, *args, **options):
        started = time.monotonic()
        self.opt = options
        self.rng = random.Random(options["seed"])
        self.batch = max(options["batch_size"], 100)
        self.now = timezone.now().replace(microsecond=0)
        self.counts: Counter = Counter()
        # Filled while writing posts, read by _notifications: thread -> last replies, and
        # member -> followed threads.
        self.recent_replies: dict[int, list[tuple]] = {}
        self.followed: dict[int, list[int]] = {}
        self._check_options()
        spaces = {s.slug: s for s in Space.objects.filter(slug__in=SPACE_SLUGS)}
        bench_member = User.objects.filter(email=BENCH_MEMBER).first()
        if len(spaces) != len(SPACE_SLUGS) or bench_member is None:
            raise CommandError("Run `manage.py seed_demo` first: the five spaces and demo members.")
        self.email_prefix = f"gen{options['seed']}-"
        if User.objects.filter(email__startswith=self.email_prefix).exists():
            raise CommandError(
                f"Data for seed {options['seed']} is already here: use a fresh database or "
                "another --seed."
            )
        self._prepare_bodies()
        with transaction.atomic():
            members = self._members()
            all_spaces = [spaces[slug] for slug in SPACE_SLUGS] + self._spaces()
            self._memberships(all_spaces, members, bench_member)
        big = self._threads_and_posts(all_spaces, spaces[BIG_THREAD_SPACE], bench_member)
        self._notifications(bench_member)
        live = self._live(all_spaces)
        self._commitments(all_spaces, bench_member)
        result = {
            "big_thread_path": f"/spaces/{BIG_THREAD_SPACE}/threads/{big.pk}/",
            "big_thread_id": big.pk,
            "big_thread_posts": big.post_count,
            "big_thread_last_page": (big.post_count - 1) // 30 + 1,
            "space_path": f"/spaces/{BIG_THREAD_SPACE}/",
            "space_slug": BIG_THREAD_SPACE,
            "member_email": BENCH_MEMBER,
            "search_query": "reverse mentoring",
            "live_session_ids": live,
            "seed": options["seed"],
            "database": connection.vendor,
            "counts": dict(sorted(self.counts.items())),
            "seconds": round(time.monotonic() - started, 1),
        }
        self.stdout.write(json.dumps(result))

    def _check_options(self) -> None:
        o = self.opt
        for name in ("members", "spaces", "threads", "live_sessions", "live_events", "commitments"):
            if o[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} must be 0 or more.")
        if o["threads"] < 1 or o["big_thread_posts"] < 1 or o["members"] < 1:
            raise CommandError("--threads, --members and --big-thread-posts must be at least 1.")
        least = o["threads"] + o["big_thread_posts"] - 1
        if o["posts"] < least:
            raise CommandError(
                f"--posts must be at least --threads + --big-thread-posts - 1 ({least})."
            )

    def _progress(self, total: int, desc: str) -> tqdm:
        return tqdm(
            total=total,
            desc=desc,
            unit="rows",
            unit_scale=True,
            disable=self.opt["no_progress"],
            leave=True,
            dynamic_ncols=True,
        )

    def _bulk(self, model, rows: list, bar: tqdm | None = None) -> list:
        created = model.objects.bulk_create(rows, batch_size=self.batch)
        self.counts[model._meta.label] += len(rows)
        if bar is not None:
            bar.update(len(rows))
        return created

    # Text ----------------------------------------------------------------------------------

    def _fill(self, text: str) -> str:
        return text.format(
            topic=self.rng.choice(TOPICS),
            org=self.rng.choice(ORGANISATIONS),
            name=self.rng.choice(FIRST_NAMES),
        )

    def _body(self) -> str:
        rng = self.rng
        parts = [self._fill(rng.choice(OPENINGS))]
        parts.append(" ".join(self._fill(s) for s in rng.sample(SENTENCES, rng.randint(1, 4))))
        if rng.random() < 0.25:
            parts.append(
                "What helped us:\n\n"
                + "\n".join(f"- {item}" for item in rng.sample(LIST_ITEMS, rng.randint(2, 4)))
            )
        if rng.random() < 0.15:
            parts.append("> " + self._fill(rng.choice(SENTENCES)))
        if rng.random() < 0.5:
            closing = self._fill(rng.choice(CLOSINGS))
            if closing:
                parts.append(closing)
        return "\n\n".join(parts)

    def _prepare_bodies(self) -> None:
        """A pool of distinct bodies, each rendered once through community.rendering: posts draw
        from it, so 200,000 posts cost a few thousand renders, not 200,000."""
        seen: dict[str, str] = {}
        count = max(self.opt["distinct_bodies"], 10)
        with self._progress(count, "render bodies") as bar:
            attempts = 0
            while len(seen) < count and attempts < count * 3:
                attempts += 1
                body = self._body()
                if body not in seen:
                    seen[body] = render_markdown(body)
                    bar.update(1)
        self.bodies = list(seen.items())
        live: dict[str, str] = {}
        for _ in range(200):
            line = self._fill(self.rng.choice(LIVE_LINES))
            live.setdefault(line, render_markdown(line))
        self.live_lines = list(live.items())

    def _title(self, kind: str) -> str:
        return self._fill(self.rng.choice(TITLE_PATTERNS[kind]))[:200]

    # Members and spaces ----------------------------------------------------------------------

    def _members(self) -> list[User]:
        rng = self.rng
        n = self.opt["members"]
        password = make_password(self.opt["password"])  # hashed once, shared by every member
        users = []
        for i in range(1, n + 1):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            users.append(
                User(
                    email=f"{self.email_prefix}{i:05d}@example.org",
                    display_name=f"{first} {last}",
                    organisation=rng.choice(ORGANISATIONS),
                    job_title=rng.choice(JOBS),
                    pronouns=rng.choice(PRONOUNS),
                    password=password,
                    date_joined=self.now - timedelta(days=rng.randint(30, 900)),
                )
            )
        with self._progress(n * 3, "members") as bar:
            users = self._bulk(User, users, bar)
            if not users or users[0].pk is None:  # backends without RETURNING
                users = list(
                    User.objects.filter(email__startswith=self.email_prefix).order_by("pk")
                )
            self._bulk(
                EmailAddress,
                [EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users],
                bar,
            )
            community = (
                GuidelinesVersion.objects.filter(space__isnull=True).order_by("-version").first()
            )
            if community is not None:
                self._bulk(
                    GuidelinesAcceptance,
                    [GuidelinesAcceptance(user=u, version=community) for u in users],
                    bar,
                )
        return users

    def _spaces(self) -> list[Space]:
        rows = []
        for i in range(self.opt["spaces"]):
            name, summary = EXTRA_SPACES[i % len(EXTRA_SPACES)]
            if i >= len(EXTRA_SPACES):
                name = f"{name} ({i // len(EXTRA_SPACES) + 1})"
            slug = f"{slugify(name)}-s{self.opt['seed']}"[:60]
            rows.append(
                Space(
                    name=name,
                    slug=slug,
                    summary=summary,
                    join_policy=self.rng.choice(["open", "request", "invite"]),
                    listed=self.rng.random() < 0.7,
                    position=200 + i,
                )
            )
        return self._bulk(Space, rows)

    def _memberships(self, spaces: list[Space], members: list[User], bench_member: User):
        """Most members belong to several action areas and one or two extra spaces; a few are
        pending or banned. The bench member joins a third of the extra spaces too."""
        rng = self.rng
        action, extra = spaces[:5], spaces[5:]
        self.space_members: dict[int, list[int]] = {
            s.pk: list(
                Membership.objects.filter(space=s, status=Membership.Status.ACTIVE).values_list(
                    "user_id", flat=True
                )
            )
            for s in spaces
        }
        rows = []
        active = Membership.Status.ACTIVE
        for user in members:
            chosen = [s for s in action if rng.random() < 0.6] or [rng.choice(action)]
            if extra:
                chosen += rng.sample(extra, min(len(extra), rng.choice([0, 1, 1, 2, 3])))
            for space in chosen:
                roll = rng.random()
                status = (
                    Membership.Status.PENDING
                    if roll < 0.02
                    else Membership.Status.BANNED
                    if roll < 0.025
                    else active
                )
                rows.append(
                    Membership(
                        user=user,
                        space=space,
                        status=status,
                        is_moderator=status == active and rng.random() < 0.01,
                        is_facilitator=status == active and rng.random() < 0.01,
                        created_at=user.date_joined,
                    )
                )
                if status == active:
                    self.space_members[space.pk].append(user.pk)
        for space in extra[::3]:
            rows.append(Membership(user=bench_member, space=space, status=active))
            self.space_members[space.pk].append(bench_member.pk)
        latest = {
            v.space_id: v
            for v in GuidelinesVersion.objects.filter(space__in=spaces).order_by("version")
        }
        accepts = [
            GuidelinesAcceptance(user_id=m.user.pk, version=latest[m.space.pk])
            for m in rows
            if m.status == active and m.space.pk in latest
        ]
        follows = []
        for user in members:
            if rng.random() < 0.3:
                mine = [m.space for m in rows if m.user is user and m.status == active]
                for space in rng.sample(mine, min(len(mine), rng.randint(1, 2))):
                    follows.append(SpaceFollow(user=user, space=space))
        with self._progress(len(rows) + len(accepts) + len(follows), "memberships") as bar:
            self._bulk(Membership, rows, bar)
            existing = set(
                GuidelinesAcceptance.objects.filter(user=bench_member).values_list(
                    "version_id", flat=True
                )
            )
            accepts = [
                a for a in accepts if a.user_id != bench_member.pk or a.version_id not in existing
            ]
            self._bulk(GuidelinesAcceptance, accepts, bar)
            self._bulk(SpaceFollow, follows, bar)
        for space in spaces:
            if not self.space_members[space.pk]:
                self.space_members[space.pk] = [members[0].pk]

    # Threads, posts, reactions, follows, read states --------------------------------------

    def _plan(self, spaces: list[Space], big_space: Space) -> list[tuple[Space, int]]:
        """(space, number of posts) for each thread; the first is the big thread."""
        rng = self.rng
        o = self.opt
        n_threads = o["threads"]
        weights = [6.0 if i < 5 else 1.0 for i in range(len(spaces))]
        cum = list(accumulate(weights))
        plan_spaces = [big_space] + [
            spaces[bisect(cum, rng.random() * cum[-1])] for _ in range(n_threads - 1)
        ]
        replies = o["posts"] - n_threads - (o["big_thread_posts"] - 1)
        counts = [1] * n_threads
        counts[0] = o["big_thread_posts"]
        if n_threads > 1 and replies > 0:
            # Heavy-tailed: most threads get a handful of replies, a few get hundreds.
            thread_weights = [min(rng.paretovariate(1.2), 200.0) for _ in range(n_threads - 1)]
            cum_t = list(accumulate(thread_weights))
            top = cum_t[-1]
            for _ in range(replies):
                counts[1 + bisect(cum_t, rng.random() * top)] += 1
        elif replies > 0:
            counts[0] += replies
        return list(zip(plan_spaces, counts, strict=True))

    def _threads_and_posts(self, spaces: list[Space], big_space: Space, bench_member: User):
        plan = self._plan(spaces, big_space)
        total_posts = sum(n for _, n in plan)
        bar = self._progress(total_posts, "threads and posts")
        chunk: list[tuple[Space, int]] = []
        chunk_posts = 0
        big = None
        for index, item in enumerate(plan):
            chunk.append(item)
            chunk_posts += item[1]
            if chunk_posts >= self.batch * 2 or index == len(plan) - 1:
                threads = self._write_chunk(chunk, bench_member, first=big is None, bar=bar)
                big = big or threads[0]
                chunk, chunk_posts = [], 0
        bar.close()
        return big

    @transaction.atomic
    def _write_chunk(self, chunk, bench_member: User, *, first: bool, bar: tqdm) -> list[Thread]:
        rng = self.rng
        now = self.now
        threads: list[Thread] = []
        posts_by_thread: list[list[Post]] = []
        for offset, (space, n_posts) in enumerate(chunk):
            is_big = first and offset == 0
            people = self.space_members[space.pk]
            kind = ThreadKind.DISCUSSION if is_big else _weighted(rng, KIND_WEIGHTS)
            # Threads start over the last two years; the big thread has been busy all along.
            span_days = 700 if is_big else rng.uniform(0.1, 60) * (1 + n_posts / 20)
            start = now - timedelta(days=rng.uniform(1, 720) if not is_big else 720)
            end = min(start + timedelta(days=span_days), now - timedelta(minutes=1))
            author_id = bench_member.pk if is_big else rng.choice(people)
            anonymous = not is_big and rng.random() < 0.06
            thread = Thread(
                space=space,
                title=(
                    "Can we talk about race? An open conversation for everyone"
                    if is_big
                    else self._title(kind)
                ),
                kind=kind,
                visibility=(
                    ThreadVisibility.COMMUNITY
                    if is_big or rng.random() < 0.1
                    else ThreadVisibility.SPACE
                ),
                author_id=author_id,
                anonymous=anonymous,
                content_note=rng.choice(CONTENT_NOTES) if rng.random() < 0.05 else "",
                is_pinned=not is_big and rng.random() < 0.005,
                is_locked=not is_big and rng.random() < 0.01,
                created_at=start,
            )
            times = sorted(start + (end - start) * rng.random() for _ in range(max(n_posts - 1, 0)))
            body, html = rng.choice(self.bodies)
            posts = [
                Post(
                    author_id=author_id,
                    anonymous=anonymous,
                    is_opening=True,
                    body=body,
                    body_html=html,
                    renderer_version=RENDERER_VERSION,
                    created_at=start,
                )
            ]
            for when in times:
                body, html = rng.choice(self.bodies)
                roll = rng.random()
                posts.append(
                    Post(
                        author_id=rng.choice(people),
                        anonymous=rng.random() < 0.04,
                        body=body,
                        body_html=html,
                        renderer_version=RENDERER_VERSION,
                        status=PostStatus.HIDDEN if roll < 0.005 else PostStatus.PUBLISHED,
                        hidden_reason="Hidden by a moderator" if roll < 0.005 else "",
                        is_deleted=0.005 <= roll < 0.01,
                        deleted_at=when if 0.005 <= roll < 0.01 else None,
                        edited_at=when + timedelta(minutes=7) if roll > 0.97 else None,
                        created_at=when,
                    )
                )
            published = [p for p in posts if p.status == PostStatus.PUBLISHED and not p.is_deleted]
            thread.post_count = len(published)
            thread.last_post_at = published[-1].created_at
            threads.append(thread)
            posts_by_thread.append(posts)
        threads = self._bulk(Thread, threads)
        flat: list[Post] = []
        for thread, posts in zip(threads, posts_by_thread, strict=True):
            for post in posts:
                post.thread = thread
            flat.extend(posts)
        flat = self._bulk(Post, flat)
        bar.update(len(flat))
        self._engagement(threads, posts_by_thread, bench_member)
        return threads

    def _engagement(self, threads: list[Thread], posts_by_thread, bench_member: User) -> None:
        """Reactions on a share of posts; follows and read states as the services leave them
        (every poster follows and has read up to their last post); the bench member has read
        some threads in their spaces, some of them with newer posts since."""
        rng = self.rng
        kinds = ReactionKind.values
        reactions, follows, reads = [], [], []
        for thread, posts in zip(threads, posts_by_thread, strict=True):
            people = self.space_members[thread.space.pk]
            last_by_user: dict[int, datetime] = {}
            for post in posts:
                last_by_user[post.author_id] = post.created_at
                if rng.random() < 0.35 and post.status == PostStatus.PUBLISHED:
                    seen = set()
                    for _ in range(rng.randint(1, 4)):
                        key = (rng.choice(people), rng.choice(kinds))
                        if key in seen or key[0] == post.author_id:
                            continue
                        seen.add(key)
                        reactions.append(
                            Reaction(
                                post_id=post.pk,
                                user_id=key[0],
                                kind=key[1],
                                created_at=post.created_at + timedelta(hours=1),
                            )
                        )
            reader = bench_member.pk in people and bench_member.pk not in last_by_user
            if reader and rng.random() < 0.5:
                last_by_user[bench_member.pk] = posts[rng.randrange(len(posts))].created_at
            recent = [
                (p.pk, p.author_id, p.anonymous, p.created_at, thread.pk)
                for p in posts[1:]
                if p.status == PostStatus.PUBLISHED and not p.is_deleted
            ]
            if recent:
                self.recent_replies[thread.pk] = recent[-8:]
            for user_id, when in last_by_user.items():
                self.followed.setdefault(user_id, []).append(thread.pk)
                follows.append(ThreadFollow(user_id=user_id, thread_id=thread.pk, created_at=when))
                reads.append(ReadState(user_id=user_id, thread_id=thread.pk, last_read_at=when))
        self._bulk(Reaction, reactions)
        self._bulk(ThreadFollow, follows)
        self._bulk(ReadState, reads)

    # Notifications -----------------------------------------------------------------------

    @transaction.atomic
    def _notifications(self, bench_member: User) -> None:
        """Replies in followed threads, as threads.services would have announced them: about
        25 per member and 400 for the bench member, most already read. Drawn from the recent
        replies remembered while writing posts, so no per-member query is needed."""
        rng = self.rng
        wanted = {pk: rng.randint(5, 45) for pk in self.followed if pk != bench_member.pk}
        wanted[bench_member.pk] = 400
        rows = []
        with self._progress(sum(wanted.values()), "notifications") as bar:
            for user_id in sorted(wanted):
                threads = self.followed.get(user_id, [])
                if not threads:
                    continue
                for _ in range(wanted[user_id]):
                    candidates = self.recent_replies.get(rng.choice(threads), [])
                    candidates = [c for c in candidates if c[1] != user_id]
                    if not candidates:
                        continue
                    pk, author_id, anonymous, created, thread_id = rng.choice(candidates)
                    rows.append(
                        Notification(
                            recipient_id=user_id,
                            kind=NotificationKind.REPLY,
                            actor_id=None if anonymous else author_id,
                            thread_id=thread_id,
                            post_id=pk,
                            text="New reply in a thread you follow",
                            created_at=created,
                            read_at=None if rng.random() < 0.2 else created + timedelta(hours=3),
                            emailed_at=created + timedelta(minutes=15),
                        )
                    )
                if len(rows) >= self.batch:
                    self._bulk(Notification, rows, bar)
                    rows = []
            self._bulk(Notification, rows, bar)

    # Live sessions (only when the realtime app and its tables are there) ---------------------

    def _live(self, spaces: list[Space]) -> list[int]:
        n_sessions, n_events = self.opt["live_sessions"], self.opt["live_events"]
        if not n_sessions or not apps.is_installed("realtime"):
            return []
        from realtime.models import LiveEvent, LiveSession, Registration

        tables = set(connection.introspection.table_names())
        if not {LiveSession._meta.db_table, LiveEvent._meta.db_table} <= tables:
            self.stderr.write("realtime tables not migrated yet: no live sessions generated.")
            return []
        return self._write_live(spaces, n_sessions, n_events, LiveSession, LiveEvent, Registration)

    # Commitments (threads.commitments, when installed and migrated) ---------------------------

    @transaction.atomic
    def _commitments(self, spaces: list[Space], bench_member: User) -> None:
        """Commitments across the spaces' members: mostly private, some shared with a space
        (a few anonymously) or with everyone, due from half a year ago to half a year ahead;
        the closed ones with a closing update. The bench member gets some of their own."""
        count = self.opt["commitments"]
        found = _commitments_models()
        if not count or found is None:
            return
        Commitment, CommitmentUpdate = found
        rng, now = self.rng, self.now
        texts: dict[str, str] = {}
        for _ in range(60):
            text = self._fill(rng.choice(COMMITMENT_TEXTS))
            texts.setdefault(text, render_markdown(text))
        pool = list(texts.items())
        areas = SPACE_SLUGS
        rows, closed = [], []
        with self._progress(count, "commitments") as bar:
            for i in range(count):
                space = spaces[i % len(spaces)] if i % 4 else rng.choice(spaces)
                people = self.space_members.get(space.pk) or [bench_member.pk]
                owner = bench_member.pk if i % 50 == 0 else rng.choice(people)
                text, html = rng.choice(pool)
                status = _weighted(
                    rng, [("planned", 4), ("in-progress", 4), ("done", 2), ("dropped", 1)]
                )
                visibility = _weighted(rng, [("private", 6), ("space", 3), ("community", 1)])
                created = now - timedelta(days=rng.randint(1, 200))
                due = (created + timedelta(days=rng.randint(14, 360))).date()
                note = "Done: we changed how we work." if status == "done" else ""
                note = "Dropped: the team was restructured." if status == "dropped" else note
                rows.append(
                    Commitment(
                        owner_id=owner,
                        text=text,
                        text_html=html,
                        due_on=due,
                        area=space.slug if space.slug in areas else rng.choice(areas),
                        wres_indicator=rng.choice([None, None, *range(1, 10)]),
                        status=status,
                        visibility=visibility,
                        space=space if visibility == "space" else None,
                        anonymous=visibility == "space" and rng.random() < 0.2,
                        closing_note=note,
                        closing_note_html=render_markdown(note) if note else "",
                        closed_at=created + timedelta(days=30) if note else None,
                        created_at=created,
                        updated_at=created,
                    )
                )
                if len(rows) >= self.batch:
                    closed += [c for c in self._bulk(Commitment, rows, bar) if c.closing_note]
                    rows = []
            closed += [c for c in self._bulk(Commitment, rows, bar) if c.closing_note]
        happened = "We did what we said, and told the people it affects."
        self._bulk(
            CommitmentUpdate,
            [
                CommitmentUpdate(
                    commitment=c,
                    happened=happened,
                    happened_html=render_markdown(happened),
                    status=c.status,
                    created_at=c.closed_at,
                )
                for c in closed
            ],
        )

    @transaction.atomic
    def _write_live(self, spaces, n_sessions, n_events, LiveSession, LiveEvent, Registration):
        rng = self.rng
        now = self.now
        sessions = []
        for i in range(n_sessions):
            space = spaces[i % 5] if i % 3 else rng.choice(spaces)
            status = "ended" if i % 10 < 7 else "live" if i % 10 == 7 else "scheduled"
            start = now - timedelta(days=rng.randint(1, 300)) if status == "ended" else now
            if status == "scheduled":
                start = now + timedelta(days=rng.randint(1, 60))
            if status == "live":
                start = now - timedelta(minutes=20)
            sessions.append(
                LiveSession(
                    space=space,
                    title=f"Can we talk about race? Session {i + 1}: {rng.choice(TOPICS)}",
                    description=self._fill(rng.choice(SENTENCES)),
                    starts_at=start,
                    ends_at=start + timedelta(minutes=90),
                    status=status,
                    started_at=start if status != "scheduled" else None,
                    ended_at=start + timedelta(minutes=90) if status == "ended" else None,
                    created_at=start - timedelta(days=14),
                )
            )
        # Events go to sessions that have started; seq runs 1..n per session without gaps.
        started = [i for i, s in enumerate(sessions) if s.status != "scheduled"] or [0]
        per = Counter(rng.choice(started) for _ in range(n_events))
        with self._progress(n_sessions + n_events, "live sessions and events") as bar:
            for i, session in enumerate(sessions):
                session.last_seq = per.get(i, 0)
            sessions = self._bulk(LiveSession, sessions, bar)
            regs = []
            for session in sessions:
                people = self.space_members[session.space.pk]
                for user_id in rng.sample(people, min(len(people), rng.randint(5, 60))):
                    regs.append(Registration(session=session, user_id=user_id))
            self._bulk(Registration, regs)
            rows = []
            for i, session in enumerate(sessions):
                people = self.space_members[session.space.pk]
                span = 90 * 60 / max(per.get(i, 1), 1)
                for seq in range(1, per.get(i, 0) + 1):
                    question = rng.random() < 0.08
                    body, html = rng.choice(self.live_lines)
                    rows.append(
                        LiveEvent(
                            session=session,
                            seq=seq,
                            kind="question" if question else "message",
                            author_id=rng.choice(people),
                            anonymous=question and rng.random() < 0.5,
                            body=body,
                            body_html=html,
                            client_msg_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                            created=session.starts_at + timedelta(seconds=seq * span),
                        )
                    )
                    if len(rows) >= self.batch:
                        self._bulk(LiveEvent, rows, bar)
                        rows = []
            self._bulk(LiveEvent, rows, bar)
        return [s.pk for s in sessions]


COMMITMENT_TEXTS = [
    "Meet the staff network chair every month and report what we agreed to the board.",
    "Add a WRES measure to every executive's objectives for next year.",
    "Review shortlisting decisions for band 8a and above with a trained panel member.",
    "Run a listening session on {topic} with colleagues from {org}.",
    "Ask {name} what would make it safer to raise racism, and act on one thing.",
    "Publish what we changed after the staff survey results on {topic}.",
    "Sponsor two ethnic-minority colleagues through the senior leadership programme.",
    "Co-design one maternity service change with local community groups.",
    "Step in the next time I hear a name mocked or mispronounced.",
    "Take the reverse mentoring pilot to the people committee with a plan to extend it.",
]


def _commitments_models():
    if not apps.is_installed("threads.commitments"):
        return None
    from threads.commitments.models import Commitment, CommitmentUpdate

    tables = set(connection.introspection.table_names())
    if Commitment._meta.db_table not in tables:
        return None
    return Commitment, CommitmentUpdate


def _weighted(rng: random.Random, pairs):
    total = sum(w for _, w in pairs)
    roll = rng.random() * total
    for value, weight in pairs:
        roll -= weight
        if roll < 0:
            return value
    return pairs[-1][0]
