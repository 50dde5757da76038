import pytest
from django.urls import reverse

from community.models import Membership, Space

SETTINGS = {
    "summary": "A new summary.",
    "join_policy": "request",
    "listed": "on",
    "premoderation_count": "2",
    "autohide_threshold": "4",
    "slow_mode_seconds": "30",
}


@pytest.mark.django_db
def test_moderator_changes_space_settings_with_audit_entry(login, moderator, space):
    from community.models import AuditEntry

    response = login(moderator).post(reverse("space_settings", args=[space.slug]), SETTINGS)
    assert response.status_code == 302
    space.refresh_from_db()
    assert (space.join_policy, space.premoderation_count, space.slow_mode_seconds) == (
        "request",
        2,
        30,
    )
    assert AuditEntry.objects.filter(action="space.settings", space=space).count() == 1


@pytest.mark.django_db
def test_member_cannot_change_space_settings(login, member, space):
    response = login(member).post(reverse("space_settings", args=[space.slug]), SETTINGS)
    assert response.status_code == 403
    space.refresh_from_db()
    assert space.slow_mode_seconds == 0


@pytest.mark.django_db
def test_moderator_of_another_space_cannot_change_unlisted_space(
    login, other_moderator, unlisted_space
):
    response = login(other_moderator).post(
        reverse("space_settings", args=[unlisted_space.slug]), SETTINGS
    )
    assert response.status_code == 404


@pytest.mark.django_db
def test_bad_settings_are_refused_with_form_kept(login, moderator, space):
    data = {**SETTINGS, "slow_mode_seconds": "999999", "autohide_threshold": "-1"}
    response = login(moderator).post(reverse("space_settings", args=[space.slug]), data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "at most one day" in body and "A new summary." in body
    assert 'class="nhsuk-input nhsuk-input--width-5 nhsuk-input--error"' in body
    space.refresh_from_db()
    assert space.slow_mode_seconds == 0


@pytest.mark.django_db
def test_staff_creates_a_space_and_becomes_its_moderator(login, staff):
    data = {
        **SETTINGS,
        "name": "North West network",
        "slug": "north-west",
        "guidelines": "Be kind.",
    }
    response = login(staff).post(reverse("space_create"), data)
    assert response.status_code == 302
    space = Space.objects.get(slug="north-west")
    assert space.guidelines_versions.get().body == "Be kind."
    assert Membership.objects.get(user=staff, space=space).is_moderator


@pytest.mark.django_db
def test_member_cannot_create_a_space(login, member):
    data = {**SETTINGS, "name": "Mine", "slug": "mine", "guidelines": "x"}
    assert login(member).post(reverse("space_create"), data).status_code == 403
    assert not Space.objects.filter(slug="mine").exists()


@pytest.mark.django_db
def test_duplicate_slug_is_refused(login, staff, space):
    data = {**SETTINGS, "name": "Copy", "slug": space.slug, "guidelines": "x"}
    response = login(staff).post(reverse("space_create"), data)
    assert response.status_code == 200
    assert Space.objects.filter(slug=space.slug).count() == 1
