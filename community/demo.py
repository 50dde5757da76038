"""Demo accounts and memberships (SPEC.md "Demo data"). Other apps add content through
their own ``demo.seed(context)`` which :mod:`community.management.commands.seed_demo` calls."""

from __future__ import annotations

from dataclasses import dataclass, field

from allauth.account.models import EmailAddress
from django.db import transaction

from .models import GuidelinesAcceptance, GuidelinesVersion, Membership, Space, User

DEFAULT_PASSWORD = "peer-forum-demo"
SPACE_SLUGS = [
    "leadership-accountability",
    "inclusive-recruitment",
    "allyship",
    "safe-spaces",
    "health-inequalities",
]


@dataclass
class DemoContext:
    users: dict[str, User] = field(default_factory=dict)
    spaces: dict[str, Space] = field(default_factory=dict)
    password: str = DEFAULT_PASSWORD


PEOPLE = [
    (
        "staff@example.org",
        "Sam Okoye",
        "Programme team",
        "Programme director",
        {"is_staff": True, "is_superuser": True},
    ),
    (
        "moderator@example.org",
        "Maya Patel",
        "Northfield NHS Foundation Trust",
        "Head of Equality, Diversity and Inclusion",
        {},
    ),
    (
        "facilitator@example.org",
        "Femi Adeyemi",
        "Riverside Mental Health Trust",
        "Staff network chair",
        {},
    ),
    ("member@example.org", "Mel Chen", "Eastgate Hospitals NHS Trust", "Director of Nursing", {}),
    ("newcomer@example.org", "Nadia Hussain", "Westbrook Community Health", "Recruitment lead", {}),
    (
        "outsider@example.org",
        "Oliver Grant",
        "Southmoor Ambulance Service",
        "Operations manager",
        {},
    ),
]


def _user(email: str, name: str, organisation: str, job: str, password: str, **extra) -> User:
    user, created = User.objects.get_or_create(
        email=email,
        defaults={"display_name": name, "organisation": organisation, "job_title": job, **extra},
    )
    if created:
        user.set_password(password)
        user.save(update_fields=["password"])
    EmailAddress.objects.update_or_create(
        user=user, email=email, defaults={"verified": True, "primary": True}
    )
    community = GuidelinesVersion.objects.filter(space__isnull=True).order_by("-version").first()
    if community is not None:
        GuidelinesAcceptance.objects.get_or_create(user=user, version=community)
    return user


def _member(user: User, space: Space, **extra) -> Membership:
    membership, _ = Membership.objects.update_or_create(user=user, space=space, defaults=extra)
    if extra.get("status", Membership.Status.ACTIVE) == Membership.Status.ACTIVE:
        version = GuidelinesVersion.objects.filter(space=space).order_by("-version").first()
        if version is not None:
            GuidelinesAcceptance.objects.get_or_create(user=user, version=version)
    return membership


@transaction.atomic
def seed_accounts(*, password: str = DEFAULT_PASSWORD, extra_members: int = 0) -> DemoContext:
    ctx = DemoContext(password=password)
    ctx.spaces = {space.slug: space for space in Space.objects.filter(slug__in=SPACE_SLUGS)}
    for email, name, org, job, extra in PEOPLE:
        ctx.users[email.split("@")[0]] = _user(email, name, org, job, password, **extra)
    active = Membership.Status.ACTIVE
    for slug, space in ctx.spaces.items():
        _member(ctx.users["moderator"], space, status=active, is_moderator=True)
        _member(ctx.users["member"], space, status=active)
        _member(
            ctx.users["facilitator"], space, status=active, is_facilitator=(slug == "safe-spaces")
        )
    _member(ctx.users["newcomer"], ctx.spaces["allyship"], status=active)
    _member(
        ctx.users["newcomer"],
        ctx.spaces["leadership-accountability"],
        status=Membership.Status.PENDING,
        request_message="I lead recruitment and would like to learn from other boards.",
    )
    for number in range(1, extra_members + 1):
        user = _user(
            f"member{number}@example.org",
            f"Demo Member {number}",
            "Demo NHS Trust",
            "Manager",
            password,
        )
        ctx.users[f"member{number}"] = user
        for space in ctx.spaces.values():
            _member(user, space, status=active)
    return ctx
