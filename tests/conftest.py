"""Role fixtures shared by every app's tests (see STYLE.md)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.test import Client
from django.utils import timezone

from community.models import GuidelinesAcceptance, GuidelinesVersion, Membership, Space, User
from community.rendering import render_markdown

_counter = itertools.count(1)


def accept_all_guidelines(user: User, space: Space | None = None) -> None:
    for version in GuidelinesVersion.objects.filter(space__isnull=True):
        GuidelinesAcceptance.objects.get_or_create(user=user, version=version)
    if space is not None:
        for version in GuidelinesVersion.objects.filter(space=space):
            GuidelinesAcceptance.objects.get_or_create(user=user, version=version)


def make_user(name: str | None = None, *, staff: bool = False, **extra) -> User:
    number = next(_counter)
    name = name or f"Person {number}"
    email = extra.pop("email", f"{name.lower().replace(' ', '.')}.{number}@example.org")
    user = User.objects.create_user(
        email=email,
        password="pw-for-tests-123",
        display_name=name,
        is_staff=staff,
        is_superuser=staff,
        **extra,
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    accept_all_guidelines(user)
    return user


def make_member(
    space: Space, name: str | None = None, *, status: str = Membership.Status.ACTIVE, **roles
) -> User:
    user = make_user(name)
    Membership.objects.create(user=user, space=space, status=status, **roles)
    accept_all_guidelines(user, space)
    return user


@pytest.fixture(autouse=True)
def _local_defaults(settings):
    """Tests run as the local demo does: MFA for roles is tested explicitly where it matters."""
    settings.MFA_REQUIRED_FOR_ROLES = False


@pytest.fixture
def make_space(db):
    def factory(name: str = "Test space", **extra) -> Space:
        number = next(_counter)
        space = Space.objects.create(
            name=f"{name} {number}",
            slug=extra.pop("slug", f"test-space-{number}"),
            summary=extra.pop("summary", "A space for tests."),
            **extra,
        )
        body = f"Guidelines of {space.name}."
        GuidelinesVersion.objects.create(
            space=space, version=1, body=body, body_html=render_markdown(body)
        )
        return space

    return factory


@pytest.fixture
def space(make_space) -> Space:
    return make_space("Private topic", listed=True)


@pytest.fixture
def other_space(make_space) -> Space:
    return make_space("Other topic", listed=True)


@pytest.fixture
def unlisted_space(make_space) -> Space:
    return make_space("Board cohort", listed=False, join_policy="invite")


@pytest.fixture
def member(space) -> User:
    return make_member(space, "Mel Member")


@pytest.fixture
def other_member(space) -> User:
    return make_member(space, "Olu Other")


@pytest.fixture
def moderator(space) -> User:
    return make_member(space, "Maya Moderator", is_moderator=True)


@pytest.fixture
def other_moderator(other_space) -> User:
    """A moderator of another space, with no standing in ``space``."""
    return make_member(other_space, "Omar Othermod", is_moderator=True)


@pytest.fixture
def facilitator(space) -> User:
    return make_member(space, "Femi Facilitator", is_facilitator=True)


@pytest.fixture
def outsider(db) -> User:
    return make_user("Oliver Outsider")


@pytest.fixture
def pending_member(space) -> User:
    return make_member(space, "Pat Pending", status=Membership.Status.PENDING)


@pytest.fixture
def banned_member(space) -> User:
    user = make_member(space, "Ben Banned", status=Membership.Status.BANNED)
    Membership.objects.filter(user=user).update(ban_reason="Repeated personal attacks")
    return user


@pytest.fixture
def muted_member(space) -> User:
    user = make_member(space, "Mo Muted")
    Membership.objects.filter(user=user).update(
        muted_until=timezone.now() + timedelta(hours=2), mute_reason="Cooling off"
    )
    return user


@pytest.fixture
def suspended_member(space) -> User:
    return _suspended(space)


def _suspended(space: Space) -> User:
    user = make_member(space, "Sue Suspended")
    user.suspended_until = timezone.now() + timedelta(days=3)
    user.suspension_reason = "Breach of confidentiality"
    user.save()
    return user


@pytest.fixture
def staff(db) -> User:
    return make_user("Sam Staff", staff=True)


@pytest.fixture
def login():
    """``login(user)`` returns a test client signed in as ``user`` (or anonymous for None)."""

    def factory(user: User | None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return factory


@pytest.fixture
def thread(space, member):
    """A published discussion in ``space`` started by ``member``."""
    from threads.services import create_thread

    return create_thread(
        actor=member,
        space=space,
        title="How do we make reverse mentoring stick?",
        body="We started reverse mentoring for our board last year.",
    )


@pytest.fixture
def anonymous_thread(space, other_member):
    """A thread in ``space`` that ``other_member`` (“Olu Other”) started anonymously."""
    from threads.services import create_thread

    return create_thread(
        actor=other_member,
        space=space,
        title="I was passed over again",
        body="I would rather not say who I am, but this keeps happening.",
        anonymous=True,
    )
