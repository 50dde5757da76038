import pytest
from django.urls import reverse

from community.models import Space


@pytest.mark.django_db
def test_outsider_sees_listed_space_summary_and_join_button(login, outsider, space):
    response = login(outsider).get(space.get_absolute_url())
    assert response.status_code == 200
    body = response.content.decode()
    assert space.summary in body
    assert reverse("space_join", args=[space.slug]) in body


@pytest.mark.django_db
def test_outsider_gets_404_for_unlisted_space(login, outsider, unlisted_space):
    response = login(outsider).get(unlisted_space.get_absolute_url())
    assert response.status_code == 404
    assert unlisted_space.name not in response.content.decode()


@pytest.mark.django_db
def test_unlisted_space_missing_from_outsiders_directory(login, outsider, space, unlisted_space):
    body = login(outsider).get(reverse("space_list")).content.decode()
    assert space.name in body
    assert unlisted_space.name not in body


@pytest.mark.django_db
def test_member_of_unlisted_space_finds_it(login, unlisted_space):
    from tests.conftest import make_member

    insider = make_member(unlisted_space)
    assert login(insider).get(unlisted_space.get_absolute_url()).status_code == 200
    assert unlisted_space.name in login(insider).get(reverse("space_list")).content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["outsider", "pending_member", "banned_member"])
def test_non_members_get_404_for_members_list(request, login, space, who):
    user = request.getfixturevalue(who)
    assert login(user).get(reverse("space_members", args=[space.slug])).status_code == 404


@pytest.mark.django_db
def test_member_sees_members_list(login, member, other_member, space):
    body = login(member).get(reverse("space_members", args=[space.slug])).content.decode()
    assert other_member.display_name in body


@pytest.mark.django_db
def test_visible_to_and_readable_by_querysets(space, unlisted_space, member, outsider, staff):
    assert set(Space.objects.readable_by(member)) >= {space}
    assert unlisted_space not in Space.objects.visible_to(outsider)
    assert space not in Space.objects.readable_by(outsider)
    assert unlisted_space in Space.objects.readable_by(staff)


@pytest.mark.django_db
def test_five_action_areas_exist_with_fixed_slugs():
    slugs = set(Space.objects.values_list("slug", flat=True))
    assert {
        "leadership-accountability",
        "inclusive-recruitment",
        "allyship",
        "safe-spaces",
        "health-inequalities",
    } <= slugs
    for space in Space.objects.filter(slug="allyship"):
        assert space.summary and space.guidelines_versions.exists()
