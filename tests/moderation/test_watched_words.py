import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community.models import AuditEntry
from moderation.models import WatchedWord
from moderation.screening import Outcome, screen_text
from moderation.services import add_watched_word, remove_watched_word
from moderation.text import find_matches, normalize


@pytest.mark.parametrize(
    ("text", "word", "found"),
    [
        ("That was a SLUR, frankly", "slur", True),
        ("slurring your words", "slur", False),
        ("unslur", "slur", False),
        ("Café culture", "cafe", True),
        ("CAFÉ", "café", True),
        ("cafeteria", "cafe", False),
        ("go back home now", "go back home", True),
        ("go   back\nhome", "go back home", True),
        ("ＦＵＬＬＷＩＤＴＨ word", "fullwidth", True),
        ("straße", "STRASSE", True),
        ("slur.", "slur", True),
        ("(slur)", "slur", True),
    ],
)
def test_watched_words_match_whole_words_case_and_accent_insensitively(text, word, found):
    assert bool(find_matches(text, [normalize(word)])) is found


def test_block_word_refuses_and_names_the_rule(space, member):
    WatchedWord.objects.create(word="Badword", action=WatchedWord.Action.BLOCK, space=space)
    with pytest.raises(ValidationError) as excinfo:
        screen_text(actor=member, space=space, text="this is a BADWORD here")
    message = " ".join(excinfo.value.messages)
    assert "Badword" in message and "this space's watched words" in message


def test_site_wide_word_applies_in_every_space(space, other_space, member):
    WatchedWord.objects.create(word="spamlink", action=WatchedWord.Action.REQUIRE_APPROVAL)
    assert (
        screen_text(actor=member, space=space, text="buy at spamlink") == Outcome.REQUIRE_APPROVAL
    )


def test_space_word_does_not_apply_in_another_space(space, other_space, member):
    WatchedWord.objects.create(word="local", action=WatchedWord.Action.BLOCK, space=other_space)
    assert screen_text(actor=member, space=space, text="local news") == Outcome.PUBLISH


def test_require_approval_wins_over_flag(space, member):
    WatchedWord.objects.create(word="alpha", action=WatchedWord.Action.FLAG)
    WatchedWord.objects.create(word="beta", action=WatchedWord.Action.REQUIRE_APPROVAL, space=space)
    assert screen_text(actor=member, space=space, text="alpha beta") == Outcome.REQUIRE_APPROVAL
    assert screen_text(actor=member, space=space, text="alpha only") == Outcome.FLAG
    assert screen_text(actor=member, space=space, text="alphabet") == Outcome.PUBLISH


def test_moderators_are_not_screened(space, moderator):
    WatchedWord.objects.create(word="quoted", action=WatchedWord.Action.BLOCK)
    assert screen_text(actor=moderator, space=space, text="quoted") == Outcome.PUBLISH


def test_moderator_adds_space_word_with_audit(space, moderator):
    word = add_watched_word(actor=moderator, space=space, word=" Slur ", action="block")
    assert word.normalized == "slur"
    assert AuditEntry.objects.filter(action="word.add", space=space).count() == 1


def test_duplicate_word_is_refused_without_audit(space, moderator):
    add_watched_word(actor=moderator, space=space, word="slur", action="block")
    with pytest.raises(ValidationError):
        add_watched_word(actor=moderator, space=space, word="SLÜR", action="flag")
    assert WatchedWord.objects.count() == 1
    assert AuditEntry.objects.filter(action="word.add").count() == 1


def test_empty_word_is_refused(space, moderator):
    with pytest.raises(ValidationError):
        add_watched_word(actor=moderator, space=space, word="   ", action="block")
    assert not WatchedWord.objects.exists()


def test_moderator_cannot_add_site_wide_word(moderator):
    with pytest.raises(PermissionDenied):
        add_watched_word(actor=moderator, space=None, word="slur", action="block")
    assert not WatchedWord.objects.exists()


def test_member_cannot_add_space_word(space, member):
    with pytest.raises(PermissionDenied):
        add_watched_word(actor=member, space=space, word="slur", action="block")
    assert not WatchedWord.objects.exists()
    assert not AuditEntry.objects.exists()


def test_staff_adds_and_removes_site_wide_word(staff):
    word = add_watched_word(actor=staff, space=None, word="slur", action="block")
    assert remove_watched_word(actor=staff, watched=word) is True
    assert remove_watched_word(actor=staff, watched=word) is False
    assert not WatchedWord.objects.exists()
    assert list(AuditEntry.objects.values_list("action", flat=True).order_by("pk")) == [
        "word.add",
        "word.remove",
    ]


def test_watched_words_page_adds_and_keeps_input_on_error(space, moderator, login):
    client = login(moderator)
    page = client.get("/moderation/words/")
    assert page.status_code == 200
    assert "/guidelines/edit/" in page.content.decode()
    response = client.post(
        "/moderation/words/", {"words": "slur", "action": "block", "spaces": [space.slug]}
    )
    assert response.status_code == 302
    assert WatchedWord.objects.filter(space=space, normalized="slur").exists()
    response = client.post(
        "/moderation/words/", {"words": "slur", "action": "flag", "spaces": [space.slug]}
    )
    assert response.status_code == 200
    assert "already watched" in response.content.decode()


def test_member_cannot_open_watched_words_page(member, login):
    assert login(member).get("/moderation/words/").status_code == 403
