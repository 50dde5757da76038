"""Watched words are matched against what readers will see, however the text is dressed up.

Before, ``screen_text`` matched the raw Markdown after NFKD and casefolding only, so a member
could slip a watched word past it with an HTML entity (``block&#119;ord`` renders as
``blockword``), a zero-width character or soft hyphen, look-alike Cyrillic or Greek letters,
emphasis splitting the word (``bl*o*ckword``) or a plural (``blockwords``). Now the body is
rendered and its text normalized (entities decoded, NFKC, format characters dropped, common
confusables folded to Latin, emphasis markers ignored, casefolded, accents stripped) and matched
as whole words with the simple English plural and possessive forms; the watched word is
normalized the same way. Titles and the live room use the same rules.

Edits are screened like new posts: an edit that needs approval waits for a moderator while the
previous version stays visible to readers; approving publishes it, declining keeps the old one.
"""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.core.exceptions import ValidationError

from community.models import AuditEntry
from moderation.models import Flag, WatchedWord
from moderation.screening import Outcome, screen_text
from moderation.selectors import review_queue
from moderation.services import add_watched_word
from moderation.text import find_matches, normalize
from realtime import services as live_services
from realtime.services import LiveRefusal
from tests.conftest import make_member
from tests.realtime.conftest import make_session
from threads import services as thread_services
from threads.kinds import PostKind
from threads.models import Notification, Post, PostRevision, PostStatus, Thread

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


# Titles and the live room ---------------------------------------------------------------


def test_a_watched_word_in_a_thread_title_is_refused_on_the_title(space, member, blocked):
    with pytest.raises(ValidationError) as refused:
        thread_services.create_thread(
            actor=member, space=space, title="All about bl\u043eckw\u043erds", body="Clean body."
        )
    assert "title" in refused.value.message_dict
    assert WORD in " ".join(refused.value.message_dict["title"])
    assert not Thread.objects.exists()


def test_a_require_approval_word_in_a_title_holds_the_thread(space, member):
    WatchedWord.objects.create(word="spamlink", action=WatchedWord.Action.REQUIRE_APPROVAL)
    thread = thread_services.create_thread(
        actor=member, space=space, title="Try spam&#108;ink", body="Clean body."
    )
    assert thread.is_pending


def test_a_block_word_in_a_title_form_is_refused_and_the_text_kept(space, member, login, blocked):
    response = login(member).post(
        f"/spaces/{space.slug}/threads/new/",
        {
            "title": "Bl\u043eckword",
            "body": "Kept body text",
            "kind": "discussion",
            "visibility": "space",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "is not allowed under this space" in html and "Kept body text" in html
    assert not Thread.objects.exists()


@pytest.mark.parametrize("how", ["message", "question"])
def test_the_live_room_uses_the_same_normalization(space, member, facilitator, blocked, how):
    session = make_session(space, facilitator)
    send = live_services.send_live_message if how == "message" else live_services.ask_question
    with pytest.raises(LiveRefusal) as refused:
        send(actor=member, session=session, body="a bl_o_ck\u200bword", client_msg_id="x1")
    assert refused.value.code == "forbidden" and WORD in refused.value.detail


# Edits are screened like new posts -------------------------------------------------------


@pytest.fixture
def reply(thread, other_member):
    return thread_services.create_reply(actor=other_member, thread=thread, body="First version.")


@pytest.fixture
def approval_word(space):
    return WatchedWord.objects.create(
        word="spamlink", action=WatchedWord.Action.REQUIRE_APPROVAL, space=space
    )


def _thread_page(client, thread) -> str:
    response = client.get(f"/spaces/{thread.space.slug}/threads/{thread.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_edit_needing_approval_waits_and_readers_keep_the_previous_version(
    login, thread, reply, member, other_member, moderator, approval_word
):
    edited = thread_services.edit_post(
        actor=other_member, post=reply, body="Now with sp&#97;mlinks."
    )
    assert edited is True
    reply.refresh_from_db()
    assert reply.status == PostStatus.PUBLISHED and reply.body == "First version."
    assert reply.has_pending_edit and reply.pending_body == "Now with sp&#97;mlinks."
    assert not PostRevision.objects.exists()

    reader = _thread_page(login(member), thread)
    assert "First version." in reader and "mlinks" not in reader
    author = _thread_page(login(other_member), thread)
    assert "Your edit is waiting for a moderator" in author and "First version." in author

    queue = review_queue(moderator)
    assert [entry.target.pk for entry in queue.awaiting] == [reply.pk]
    page = login(moderator).get("/moderation/").content.decode()
    assert "Now with sp" in page and "First version." in page

    # Approving applies the edit: the old text is kept as a revision and the log says why.
    assert PostKind().perform(actor=moderator, item=reply, action="approve", data={}) is True
    reply.refresh_from_db()
    assert reply.body == "Now with sp&#97;mlinks." and not reply.has_pending_edit
    assert reply.edited_at is not None and "spamlinks" in reply.body_html.replace("&#97;", "a")
    revision = PostRevision.objects.get(post=reply)
    assert revision.body == "First version." and revision.edited_by == other_member
    entry = AuditEntry.objects.get()
    assert entry.action == "post.approve" and "edit approved" in entry.reason.lower()
    assert Notification.objects.filter(
        recipient=other_member, kind="moderation", text__contains="edit"
    ).exists()
    assert review_queue(moderator).awaiting == []
    assert "Now with sp" in _thread_page(login(member), thread)


def test_approving_from_the_queue_page_publishes_the_edit(
    login, reply, other_member, moderator, approval_word
):
    thread_services.edit_post(actor=other_member, post=reply, body="Try spamlink now")
    response = login(moderator).post(f"/moderation/post/{reply.pk}/approve/", {"reason": ""})
    assert response.status_code == 302
    reply.refresh_from_db()
    assert reply.body == "Try spamlink now" and not reply.has_pending_edit


def test_an_opening_posts_title_edit_waits_too(login, thread, member, other_member, moderator):
    WatchedWord.objects.create(word="spamlink", action=WatchedWord.Action.REQUIRE_APPROVAL)
    opening = thread.posts.get()
    old_title = thread.title
    thread_services.edit_post(
        actor=member, post=opening, body=opening.body, title="Visit the Sp\u0430mlink"
    )
    thread.refresh_from_db()
    opening.refresh_from_db()
    assert thread.title == old_title and opening.has_pending_edit
    assert "Sp\u0430mlink" not in _thread_page(login(other_member), thread)
    PostKind().perform(actor=moderator, item=opening, action="approve", data={})
    thread.refresh_from_db()
    assert thread.title == "Visit the Sp\u0430mlink"
    assert PostRevision.objects.get(post=opening).title == old_title


def test_declining_an_edit_keeps_the_previous_version_and_tells_the_author(
    reply, other_member, moderator, approval_word
):
    thread_services.edit_post(actor=other_member, post=reply, body="Buy at spamlink")
    reply.refresh_from_db()
    assert PostKind().perform(
        actor=moderator, item=reply, action="decline_edit", data={"reason": "Advertising"}
    )
    reply.refresh_from_db()
    assert reply.body == "First version." and reply.is_published and not reply.has_pending_edit
    assert reply.pending_body == ""
    assert Notification.objects.filter(
        recipient=other_member, kind="moderation", text__contains="Advertising"
    ).exists()
    assert AuditEntry.objects.get().reason.startswith("Edit declined")
    assert not PostRevision.objects.exists()


def test_hiding_a_post_with_a_waiting_edit_keeps_the_previous_text(
    reply, other_member, moderator, approval_word
):
    thread_services.edit_post(actor=other_member, post=reply, body="Buy at spamlink")
    PostKind().perform(actor=moderator, item=reply, action="hide", data={"reason": "Spam"})
    reply.refresh_from_db()
    assert reply.is_hidden and reply.body == "First version."
    assert review_queue(moderator).awaiting == []


def test_a_clean_edit_after_a_waiting_one_replaces_it(reply, other_member, approval_word):
    thread_services.edit_post(actor=other_member, post=reply, body="Buy at spamlink")
    thread_services.edit_post(actor=other_member, post=reply, body="Second thoughts.")
    reply.refresh_from_db()
    assert reply.body == "Second thoughts." and not reply.has_pending_edit


def test_a_pending_post_is_edited_in_place(thread, other_member, approval_word):
    held = thread_services.create_reply(actor=other_member, thread=thread, body="Buy spamlink")
    assert held.status == PostStatus.PENDING
    thread_services.edit_post(actor=other_member, post=held, body="Buy spamlinks cheaply")
    held.refresh_from_db()
    assert held.body == "Buy spamlinks cheaply" and not held.has_pending_edit


def test_a_flag_word_added_by_an_edit_raises_an_automatic_flag(space, reply, other_member):
    WatchedWord.objects.create(word="lottery", action=WatchedWord.Action.FLAG, space=space)
    thread_services.edit_post(actor=other_member, post=reply, body="Win the l\u043ettery!")
    flag = Flag.objects.get()
    assert flag.flagger is None and flag.target_id == reply.pk
    reply.refresh_from_db()
    assert reply.body == "Win the l\u043ettery!"


def test_a_block_word_in_an_edit_is_refused_with_the_rule_named_and_the_text_kept(
    login, reply, other_member, blocked
):
    response = login(other_member).post(
        f"/spaces/{reply.thread.space.slug}/threads/{reply.thread_id}/posts/{reply.pk}/edit/",
        {"body": "Now a bl*o*ckword in it"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "“blockword” is not allowed under this space" in html
    assert "Now a bl*o*ckword in it" in html
    reply.refresh_from_db()
    assert reply.body == "First version." and not reply.has_pending_edit


def test_other_members_posts_are_unaffected_by_someone_elses_waiting_edit(
    thread, reply, space, approval_word
):
    someone = make_member(space, "Someone Else")
    mine = thread_services.create_reply(actor=someone, thread=thread, body="Mine.")
    opening = thread.posts.get(is_opening=True)
    thread_services.edit_post(actor=thread.author, post=opening, body="Opening with spamlink")
    assert not Post.objects.get(pk=mine.pk).has_pending_edit
    assert not Post.objects.get(pk=reply.pk).has_pending_edit


def test_going_back_to_the_published_text_withdraws_the_waiting_edit(
    reply, other_member, moderator, approval_word
):
    thread_services.edit_post(actor=other_member, post=reply, body="Buy at spamlink")
    assert thread_services.edit_post(actor=other_member, post=reply, body="First version.")
    reply.refresh_from_db()
    assert not reply.has_pending_edit and review_queue(moderator).awaiting == []


def test_declining_an_edit_needs_a_reason(reply, other_member, moderator, approval_word):
    thread_services.edit_post(actor=other_member, post=reply, body="Buy at spamlink")
    with pytest.raises(ValidationError):
        thread_services.decline_edit(actor=moderator, post=reply, reason=" ")
    reply.refresh_from_db()
    assert reply.has_pending_edit
