"""Commitments in the site search (/search/): only those the member may see, by the one
visibility rule; an anonymous one never names its owner to peers; a held one (or a held update)
is its owner's alone; the query count does not grow with the results."""

from __future__ import annotations

import pytest

from community.models import Membership
from moderation.models import WatchedWord
from threads.commitments import services

from .conftest import make_commitment

pytestmark = pytest.mark.django_db


def search(client, query: str, **extra) -> str:
    response = client.get("/search/", {"q": query, **extra})
    assert response.status_code == 200
    return response.content.decode()


def test_a_private_commitment_is_found_by_its_owner_only(
    login, member, other_member, outsider, staff, commitment
):
    assert commitment.title in search(login(member), "network chair")
    for user in (other_member, outsider, staff):
        assert commitment.title not in search(login(user), "network chair")


def test_a_space_shared_commitment_is_found_by_the_spaces_members_only(
    login, member, other_member, outsider, other_moderator, shared_commitment
):
    for user in (member, other_member):
        assert shared_commitment.title in search(login(user), "reverse mentoring executive")
    for user in (outsider, other_moderator):
        assert shared_commitment.title not in search(login(user), "reverse mentoring executive")


def test_the_anonymous_never_find_anything(login, member, shared_commitment):
    response = login(None).get("/search/", {"q": "reverse mentoring"})
    assert shared_commitment.title.encode() not in response.content


def test_an_anonymous_commitment_never_names_its_owner_to_peers(
    login, member, other_member, moderator, space
):
    commitment = make_commitment(
        member, "Fund the staff network properly.", visibility="space", space=space, anonymous=True
    )
    peer = search(login(other_member), "staff network properly")
    assert commitment.title in peer
    assert "A member of this space" in peer
    assert member.display_name not in peer
    # The space's moderators see who (as on its page).
    assert member.display_name in search(login(moderator), "staff network properly")


def test_a_commitment_shared_with_everyone_is_found_by_every_signed_in_member(
    login, member, outsider
):
    commitment = make_commitment(member, "Publish our WRES action plan.", visibility="community")
    assert commitment.title in search(login(outsider), "WRES action plan")


def test_words_in_a_readable_update_find_it_and_a_held_update_does_not(
    login, member, other_member, space, shared_commitment
):
    services.add_update(actor=member, commitment=shared_commitment, happened="Kingfisher pilot.")
    assert shared_commitment.title in search(login(other_member), "kingfisher")
    WatchedWord.objects.create(space=space, word="heronword", action="require_approval")
    services.add_update(actor=member, commitment=shared_commitment, happened="heronword plan")
    assert shared_commitment.title not in search(login(other_member), "heronword")
    assert shared_commitment.title in search(login(member), "heronword")


def test_a_held_commitment_is_found_by_its_owner_only(login, member, other_member, space):
    WatchedWord.objects.create(space=space, word="heronword", action="require_approval")
    commitment = make_commitment(member, "We heronword.", visibility="space", space=space)
    assert commitment.title not in search(login(other_member), "heronword")
    assert commitment.title in search(login(member), "heronword")


def test_the_space_filter_keeps_commitments_shared_with_that_space(
    login, member, space, other_space, shared_commitment
):
    Membership.objects.create(user=member, space=other_space, status=Membership.Status.ACTIVE)
    assert shared_commitment.title in search(login(member), "reverse mentoring")
    assert shared_commitment.title in search(login(member), "reverse mentoring", space=space.slug)
    assert shared_commitment.title not in search(
        login(member), "reverse mentoring", space=other_space.slug
    )


def test_bad_queries_find_nothing_and_do_not_fail(login, member, commitment):
    for query in ("", " ", "a", "<script>", "x" * 5000):
        response = login(member).get("/search/", {"q": query})
        assert response.status_code == 200
        assert b"<script>" not in response.content.replace(b"&lt;script&gt;", b"")


def test_the_search_runs_the_same_number_of_queries_for_1_or_12_matches(
    login, member, space, django_assert_max_num_queries
):
    make_commitment(member, "Mentor one colleague.", visibility="space", space=space)
    client = login(member)
    with django_assert_max_num_queries(40) as few:
        search(client, "mentor")
    for number in range(11):
        make_commitment(member, f"Mentor colleague {number}.", visibility="space", space=space)
    with django_assert_max_num_queries(len(few.captured_queries)):
        search(client, "mentor")


def test_only_commitments_matching_says_no_no_results(login, member, commitment):
    page = search(login(member), "network chair")
    assert commitment.title in page
    assert "Commitments matching" in page
    assert "No results for" not in page


def test_nothing_matching_says_no_results_once(login, member, commitment):
    page = search(login(member), "zanzibarrota")
    assert page.count("No results for") == 1
    assert "Commitments matching" not in page


def test_posts_and_commitments_matching_show_both(login, member, space, thread):
    make_commitment(member, "Reverse mentoring for the board.", visibility="space", space=space)
    page = search(login(member), "reverse mentoring")
    assert "result" in page and "Commitments matching" in page
    assert "No results for" not in page
    assert page.index("for “reverse mentoring”") < page.index("Commitments matching")
