import pytest
from django.urls import reverse


@pytest.mark.django_db
def test_member_edits_profile(login, member):
    client = login(member)
    response = client.post(
        reverse("profile_edit"),
        {
            "display_name": "Mel C",
            "organisation": "Trust",
            "job_title": "Director",
            "pronouns": "she/her",
            "bio": "Hi",
        },
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.display_name, member.pronouns) == ("Mel C", "she/her")


@pytest.mark.django_db
def test_profile_edit_refuses_blank_name_and_keeps_text(login, member):
    response = login(member).post(
        reverse("profile_edit"), {"display_name": "  ", "bio": "My draft bio"}
    )
    assert response.status_code == 200
    assert "My draft bio" in response.content.decode()
    member.refresh_from_db()
    assert member.display_name == "Mel Member"


@pytest.mark.django_db
def test_profile_edit_refuses_overlong_bio(login, member):
    response = login(member).post(
        reverse("profile_edit"), {"display_name": "Mel", "bio": "x" * 601}
    )
    assert response.status_code == 200
    member.refresh_from_db()
    assert member.bio == ""


@pytest.mark.django_db
def test_profiles_visible_to_signed_in_members_only(client, login, member, outsider):
    assert client.get(member.get_absolute_url()).status_code == 302
    assert login(outsider).get(member.get_absolute_url()).status_code == 200


@pytest.mark.django_db
def test_admin_is_staff_only(login, member, staff):
    assert login(member).get("/admin/").status_code == 302
    assert login(staff).get("/admin/").status_code == 200
    for model in ["user", "space", "membership", "invitation", "guidelinesversion"]:
        assert login(staff).get(f"/admin/community/{model}/").status_code == 200


@pytest.mark.django_db
def test_mfa_required_for_moderators_when_enabled(login, moderator, member, settings):
    settings.MFA_REQUIRED_FOR_ROLES = True
    response = login(moderator).get(reverse("space_list"))
    assert response.status_code == 302
    assert "/accounts/2fa/" in response["Location"]
    assert login(member).get(reverse("space_list")).status_code == 200
