import pytest
from django.urls import reverse

from community import policy, services
from community.models import GuidelinesAcceptance


@pytest.mark.django_db
def test_new_version_asks_for_acceptance_again(member, space, moderator):
    assert policy.has_accepted_guidelines(member, space)
    services.publish_guidelines(
        actor=moderator, space=space, body="Be kind. Be brave.", change_summary="Shorter"
    )
    pending = policy.pending_guidelines(member, space)
    assert [v.version for v in pending] == [2]


@pytest.mark.django_db
def test_accepting_records_version_and_returns_to_next(login, member, space, moderator):
    version = services.publish_guidelines(actor=moderator, space=space, body="New rules")
    url = reverse("space_guidelines", args=[space.slug]) + "?next=/spaces/"
    response = login(member).post(url, {"accept": "on", "next": "/spaces/"})
    assert response.status_code == 302 and response["Location"] == "/spaces/"
    assert GuidelinesAcceptance.objects.filter(user=member, version=version).exists()


@pytest.mark.django_db
def test_accepting_refuses_foreign_next(login, member, space, moderator):
    services.publish_guidelines(actor=moderator, space=space, body="New rules")
    response = login(member).post(
        reverse("space_guidelines", args=[space.slug]),
        {"accept": "on", "next": "https://evil.example/"},
    )
    assert response["Location"] == space.get_absolute_url()


@pytest.mark.django_db
def test_member_cannot_publish_space_guidelines(login, member, space):
    response = login(member).post(
        reverse("space_guidelines_edit", args=[space.slug]), {"body": "Anything goes"}
    )
    assert response.status_code == 403
    assert space.guidelines_versions.count() == 1


@pytest.mark.django_db
def test_moderator_cannot_publish_community_guidelines(login, moderator):
    response = login(moderator).post(
        reverse("community_guidelines_edit"), {"body": "Anything goes"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_empty_guidelines_are_refused_with_text_kept(login, moderator, space):
    response = login(moderator).post(
        reverse("space_guidelines_edit", args=[space.slug]), {"body": "   "}
    )
    assert response.status_code == 200
    assert space.guidelines_versions.count() == 1


@pytest.mark.django_db
def test_guidelines_markdown_is_sanitized(moderator, space):
    version = services.publish_guidelines(
        actor=moderator, space=space, body="<script>alert(1)</script> [x](javascript:alert(1))"
    )
    assert "<script" not in version.body_html
    assert "<a" not in version.body_html  # the javascript: link stays inert text


@pytest.mark.django_db
def test_guidelines_redirect_keeps_the_draft_url(rf, member, space, moderator):
    from django.contrib.messages.storage.fallback import FallbackStorage

    from community.http import guidelines_redirect

    services.publish_guidelines(actor=moderator, space=space, body="v2")
    request = rf.get(f"/spaces/{space.slug}/threads/new/?title=Draft")
    request.user = member
    request.session = {}
    request._messages = FallbackStorage(request)
    response = guidelines_redirect(request, space)
    assert response is not None
    assert f"next=/spaces/{space.slug}/threads/new/" in response["Location"]
