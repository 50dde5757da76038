"""Watched words: several at once in several places, tried against recent posts before saving,
and changed (action and scope) afterwards."""

from __future__ import annotations

import pytest

from community.models import AuditEntry, Membership
from moderation.models import WatchedWord
from threads.models import Post

from .conftest import make_post, make_thread


def _add(client, **data):
    return client.post("/moderation/words/", data)


def test_moderator_adds_several_words_in_several_spaces_each_audited(
    space, other_space, moderator, login
):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    response = _add(
        login(moderator),
        words="first phrase\n\n  second  \nfirst phrase",
        action="flag",
        spaces=[space.slug, other_space.slug],
    )
    assert response.status_code == 302
    rules = set(WatchedWord.objects.values_list("word", "space__slug"))
    assert rules == {
        (w, s) for w in ("first phrase", "second") for s in (space.slug, other_space.slug)
    }
    assert AuditEntry.objects.filter(action="word.add").count() == 4


def test_staff_adds_community_wide_words(staff, login):
    _add(login(staff), words="one\ntwo", action="block", spaces=["__all__"])
    assert set(WatchedWord.objects.filter(space=None).values_list("word", flat=True)) == {
        "one",
        "two",
    }


@pytest.mark.parametrize(
    ("words", "message"),
    [
        ("", "Enter the word or phrase to watch for."),
        ("   \n  \n", "Enter the word or phrase to watch for."),
        ("fine\n" + "x" * 101, "is longer than 100 characters. Shorten it."),
        ("***", "has no letters or numbers to match."),
    ],
)
def test_bad_words_are_refused_with_the_text_kept(space, moderator, login, words, message):
    response = _add(login(moderator), words=words, action="flag", spaces=[space.slug])
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    if words.strip():
        assert words.split("\n")[-1] in html  # the typed text is kept in the box
    assert not WatchedWord.objects.exists() and not AuditEntry.objects.exists()


def test_one_word_already_watched_refuses_the_lot(space, moderator, login):
    WatchedWord.objects.create(word="taken", space=space)
    response = _add(login(moderator), words="new one\ntaken", action="flag", spaces=[space.slug])
    assert response.status_code == 200
    assert "already watched" in response.content.decode()
    assert list(WatchedWord.objects.values_list("word", flat=True)) == ["taken"]


def test_moderator_cannot_add_community_wide_or_to_a_space_they_do_not_moderate(
    space, other_space, moderator, login
):
    client = login(moderator)
    for where in (["__all__"], [other_space.slug]):
        response = _add(client, words="sneaky", action="block", spaces=where)
        assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not WatchedWord.objects.exists()


def test_choosing_every_space_and_some_spaces_is_refused(space, staff, login):
    Membership.objects.create(user=staff, space=space, is_moderator=True)
    response = _add(login(staff), words="x", action="flag", spaces=["__all__", space.slug])
    assert "Choose every space or some spaces, not both" in response.content.decode()
    assert not WatchedWord.objects.exists()


def test_trying_words_shows_recent_visible_posts_that_would_match_and_saves_nothing(
    space, other_space, moderator, member, login
):
    thread = make_thread(space, member, title="About the PLÖNKER remark")
    make_post(thread, member, body="A p\u200blonker said that")  # zero-width space: still a match
    make_post(thread, member, body="Nothing to see")
    make_post(thread, member, body="plonker, but hidden", status="hidden")
    elsewhere = make_thread(other_space, member)
    make_post(elsewhere, member, body="plonker in another space")
    response = login(moderator).post(
        "/moderation/words/",
        {"words": "Plonker", "action": "flag", "spaces": [space.slug], "try": "1"},
    )
    assert response.status_code == 200
    tried = response.context["tried"]
    bodies = sorted(hit["item"].body for hit in tried)
    assert bodies == ["A p\u200blonker said that", "Opening post."]
    by_where = {hit["item"].is_opening: hit["matches"] for hit in tried}
    assert by_where == {True: [("Plonker", "title")], False: [("Plonker", "body")]}
    html = response.content.decode()
    assert "What these words would catch" in html and "“Plonker” in the title" in html
    assert "Plonker" in html  # the text is kept in the form
    assert not WatchedWord.objects.exists()
    assert Post.objects.count() == 6


def test_trying_words_that_match_nothing_says_so(space, moderator, login):
    response = login(moderator).post(
        "/moderation/words/", {"words": "zzz", "action": "flag", "spaces": [space.slug], "try": "1"}
    )
    assert "No recent posts would match." in response.content.decode()


# Editing --------------------------------------------------------------------------------------


def test_moderator_changes_a_words_action_and_space_audited(space, other_space, moderator, login):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    word = WatchedWord.objects.create(word="swap", space=space, action="flag")
    client = login(moderator)
    assert client.get(f"/moderation/words/{word.pk}/edit/").status_code == 200
    response = client.post(
        f"/moderation/words/{word.pk}/edit/", {"action": "block", "space": other_space.slug}
    )
    assert response.status_code == 302
    word.refresh_from_db()
    assert (word.action, word.space) == ("block", other_space)
    entry = AuditEntry.objects.get(action="word.edit")
    assert "Was: Flag" in entry.reason and "Now: Block" in entry.reason


def test_staff_makes_a_space_word_community_wide(space, staff, login):
    word = WatchedWord.objects.create(word="wide", space=space)
    login(staff).post(f"/moderation/words/{word.pk}/edit/", {"action": "flag", "space": "__all__"})
    word.refresh_from_db()
    assert word.space is None


def test_edit_clashing_with_a_word_already_watched_there_changes_nothing(
    space, other_space, moderator, login
):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    WatchedWord.objects.create(word="twin", space=other_space)
    word = WatchedWord.objects.create(word="twin", space=space)
    response = login(moderator).post(
        f"/moderation/words/{word.pk}/edit/", {"action": "flag", "space": other_space.slug}
    )
    assert response.status_code == 200 and "already watched" in response.content.decode()
    word.refresh_from_db()
    assert word.space == space and not AuditEntry.objects.exists()


def test_others_cannot_edit_a_word(space, other_moderator, member, moderator, login):
    word = WatchedWord.objects.create(word="mine", space=space)
    site = WatchedWord.objects.create(word="site", space=None)
    assert login(other_moderator).get(f"/moderation/words/{word.pk}/edit/").status_code == 404
    assert login(moderator).get(f"/moderation/words/{site.pk}/edit/").status_code == 404
    response = login(member).post(
        f"/moderation/words/{word.pk}/edit/", {"action": "block", "space": space.slug}
    )
    assert response.status_code == 404
    word.refresh_from_db()
    assert word.action == "flag"
