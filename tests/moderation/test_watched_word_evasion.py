"""Watched words are matched against what readers will see, however the text is dressed up.

Before, ``screen_text`` matched the raw Markdown after NFKD and casefolding only, so a member
could slip a watched word past it with an HTML entity (``block&#119;ord`` renders as
``blockword``), a zero-width character or soft hyphen, look-alike Cyrillic or Greek letters,
emphasis splitting the word (``bl*o*ckword``) or a plural (``blockwords``). Now the body is
rendered and its text normalized (entities decoded, NFKC, format characters dropped, common
confusables folded to Latin, emphasis markers ignored, casefolded, accents stripped) and matched
as whole words with the simple English plural and possessive forms; the watched word is
normalized the same way. The live room uses the same rules.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from moderation.models import WatchedWord
from moderation.screening import Outcome, screen_text
from moderation.services import add_watched_word
from moderation.text import find_matches, normalize
from realtime import services as live_services
from realtime.services import LiveRefusal
from tests.realtime.conftest import make_session

pytestmark = pytest.mark.django_db

WORD = "blockword"

EVASIONS = {
    # HTML entities: the renderer decodes them, so readers see the word.
    "decimal entity": "a block&#119;ord here",
    "hex entity": "a block&#x77;ord here",
    "named entity": "a blockw&ouml;rd here",
    # Invisible format characters and the soft hyphen.
    "zero-width space": "a block\u200bword here",
    "zero-width non-joiner": "a block\u200cword here",
    "zero-width joiner": "a block\u200dword here",
    "word joiner": "a block\u2060word here",
    "byte order mark": "a block\ufeffword here",
    "soft hyphen": "a block\u00adword here",
    # Look-alike letters.
    "cyrillic o": "a bl\u043eckw\u043erd here",
    "cyrillic capital O": "a BL\u041eCKWORD here",
    "cyrillic es": "a blo\u0441kword here",
    "greek omicron": "a bl\u03bfckword here",
    "fullwidth": "a \uff42\uff4c\uff4f\uff43\uff4b\uff57\uff4f\uff52\uff44 here",
    "mathematical bold": "a \U0001d41b\U0001d425\U0001d428\U0001d41c\U0001d424word here",
    # Emphasis splitting the word (rendered away, or shown around a letter).
    "emphasis with stars": "a bl*o*ckword here",
    "emphasis with underscores": "a bl_o_ckword here",
    "strong at the start": "a **bl**ockword here",
    "strong in the middle": "a bl**ock**word here",
    "strikethrough": "a bl~~o~~ckword here",
    "code span": "a bl`o`ckword here",
    "escaped stars": "a bl\\*o\\*ckword here",
    # Plurals and possessives.
    "plural s": "two blockwords here",
    "plural es": "two blockwordes here",
    "possessive": "the blockword's meaning",
    "plural possessive": "the blockwords' meanings",
    "curly possessive": "the Blockword\u2019s meaning",
    # Together.
    "all at once": "the **BL**&#x4F;\u200b\u0441kw\u043erd\u00ads!",
    "link text": "see [bl*o*ckword](https://example.org)",
}

# Each look-alike the brief names, in a word that has the Latin letter it imitates.
CONFUSABLES = [
    ("cyrillic a", "scam", "sc\u0430m"),
    ("cyrillic ie", "hate", "hat\u0435"),
    ("cyrillic er", "spam", "s\u0440am"),
    ("cyrillic es", "scam", "s\u0441am"),
    ("cyrillic u", "lying", "l\u0443ing"),
    ("cyrillic ha", "xenophobe", "\u0445enophobe"),
    ("cyrillic i", "idiot", "\u0456diot"),
    ("cyrillic o", "troll", "tr\u043ell"),
    ("greek omicron", "troll", "tr\u03bfll"),
    ("greek alpha", "scam", "sc\u03b1m"),
    ("cyrillic capitals", "scam", "\u0405\u0421\u0410M"),
]


@pytest.fixture
def blocked(space):
    return WatchedWord.objects.create(word=WORD, action=WatchedWord.Action.BLOCK, space=space)


@pytest.mark.parametrize("text", list(EVASIONS.values()), ids=list(EVASIONS))
def test_a_dressed_up_watched_word_is_still_blocked(space, member, blocked, text):
    with pytest.raises(ValidationError) as refused:
        screen_text(actor=member, space=space, text=text)
    assert WORD in " ".join(refused.value.messages)


@pytest.mark.parametrize(
    ("word", "text"), [(w, t) for _, w, t in CONFUSABLES], ids=[n for n, _, _ in CONFUSABLES]
)
def test_look_alike_letters_are_folded_to_latin(space, member, word, text):
    WatchedWord.objects.create(word=word, action=WatchedWord.Action.REQUIRE_APPROVAL, space=space)
    assert screen_text(actor=member, space=space, text=f"this is {text}.") == (
        Outcome.REQUIRE_APPROVAL
    )


@pytest.mark.parametrize(
    ("word", "text"),
    [
        ("ass", "a class on assessment"),
        ("ass", "she will assess it"),
        ("ass", "he passes the bass to the assassin"),
        ("ass", "our assets' value"),
        ("ass", "cl\u0430ss"),  # a look-alike inside a longer word is still a longer word
        ("ass", "cl*ass*"),
        ("hell", "hello and seashells"),
        ("scam", "scampi and scamper"),
        ("spam", "spamming"),
        ("troll", "trolley"),
        (WORD, "blockwordy"),
        (WORD, "blockwording"),
    ],
)
def test_ordinary_words_containing_a_watched_word_are_not_matched(space, member, word, text):
    WatchedWord.objects.create(word=word, action=WatchedWord.Action.BLOCK, space=space)
    assert screen_text(actor=member, space=space, text=text) == Outcome.PUBLISH


@pytest.mark.parametrize(
    "text", ["asses", "the ass's tail", "an ASS.", "(ass)", "asses'", "**ass**"]
)
def test_the_watched_word_and_its_plurals_are_matched(space, member, text):
    WatchedWord.objects.create(word="ass", action=WatchedWord.Action.FLAG, space=space)
    assert screen_text(actor=member, space=space, text=text) == Outcome.FLAG


def test_a_word_with_punctuation_in_it_still_matches_as_typed(space, member):
    WatchedWord.objects.create(word="c*nt", action=WatchedWord.Action.FLAG, space=space)
    assert screen_text(actor=member, space=space, text="what a c*nt.") == Outcome.FLAG
    assert screen_text(actor=member, space=space, text="a c*ntinent") == Outcome.PUBLISH


def test_find_matches_is_linear_on_long_adversarial_text():
    # A pathological input for a backtracking pattern: many near-misses, no match.
    text = ("blockwor" + "\u200b" * 3 + "*_") * 5000
    words = [normalize(w) for w in (WORD, "go back home", "ass")]
    assert find_matches(text, words) == []


# The watched word itself ----------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["Bl\u043eckword", "BLOCK\u200bWORD", "block&#119;ord", "\uff42lockword", "Blöckword"],
)
def test_the_watched_word_is_normalized_the_same_way(space, moderator, typed):
    watched = add_watched_word(actor=moderator, space=space, word=typed, action="block")
    assert watched.normalized == "blockword"
    with pytest.raises(ValidationError):
        add_watched_word(actor=moderator, space=space, word="blockword", action="flag")


def _migration():
    return importlib.import_module("moderation.migrations.0003_renormalize_watched_words")


def test_the_data_migration_recomputes_and_merges_existing_words(space, other_space):
    # As the old normalize() stored them: look-alike letters were not folded to Latin.
    kept = WatchedWord.objects.create(word="bl\u043eckword", action="flag", space=space)
    WatchedWord.objects.filter(pk=kept.pk).update(normalized="bl\u043eckword")
    twin = WatchedWord.objects.create(word="blockword", action="block", space=space)
    elsewhere = WatchedWord.objects.create(word="blockword", action="flag", space=other_space)
    site = WatchedWord.objects.create(word="sc\u0430m", action="flag")
    WatchedWord.objects.filter(pk=site.pk).update(normalized="sc\u0430m")

    _migration().renormalize(django_apps, None)

    rows = {w.pk: (w.normalized, w.action) for w in WatchedWord.objects.all()}
    # The two rows of one space that now mean the same word become one, with the stricter action.
    assert rows == {
        kept.pk: ("blockword", "block"),
        elsewhere.pk: ("blockword", "flag"),
        site.pk: ("scam", "flag"),
    }
    assert twin.pk not in rows


# The live room ---------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["message", "question"])
def test_the_live_room_uses_the_same_normalization(space, member, facilitator, blocked, how):
    session = make_session(space, facilitator)
    send = live_services.send_live_message if how == "message" else live_services.ask_question
    with pytest.raises(LiveRefusal) as refused:
        send(actor=member, session=session, body="a bl_o_ck\u200bword", client_msg_id="x1")
    assert refused.value.code == "forbidden" and WORD in refused.value.detail
