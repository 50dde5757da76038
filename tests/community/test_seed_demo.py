import pytest
from django.core.management import CommandError, call_command

from community.models import Membership, User


@pytest.mark.django_db
def test_seed_demo_creates_the_fixed_accounts_and_is_idempotent(settings):
    settings.DEBUG = True
    call_command("seed_demo", extra_members=2)
    call_command("seed_demo", extra_members=2)
    emails = set(User.objects.values_list("email", flat=True))
    for name in [
        "staff",
        "moderator",
        "facilitator",
        "member",
        "newcomer",
        "outsider",
        "member1",
        "member2",
    ]:
        assert f"{name}@example.org" in emails
    assert User.objects.filter(email__endswith="@example.org").count() == 8
    staff = User.objects.get(email="staff@example.org")
    assert staff.is_staff and staff.is_superuser
    assert staff.check_password("peer-forum-demo")
    mod = User.objects.get(email="moderator@example.org")
    assert Membership.objects.filter(user=mod, is_moderator=True, status="active").count() == 5
    fac = Membership.objects.get(user__email="facilitator@example.org", space__slug="safe-spaces")
    assert fac.is_facilitator
    assert (
        not Membership.objects.filter(user__email="facilitator@example.org", is_facilitator=True)
        .exclude(space__slug="safe-spaces")
        .exists()
    )
    newcomer = {
        m.space.slug: m.status
        for m in Membership.objects.filter(user__email="newcomer@example.org")
    }
    assert newcomer == {"allyship": "active", "leadership-accountability": "pending"}
    assert not Membership.objects.filter(user__email="outsider@example.org").exists()
    assert (
        Membership.objects.filter(user__email="member2@example.org", status="active").count() == 5
    )


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not User.objects.filter(email="staff@example.org").exists()


@pytest.mark.django_db
def test_seed_demo_password_option(settings):
    settings.DEBUG = False
    call_command("seed_demo", password="another-secret-pw", force=True)
    assert User.objects.get(email="member@example.org").check_password("another-secret-pw")
