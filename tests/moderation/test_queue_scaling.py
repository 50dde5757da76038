"""The review queue at scale: pages (never a silent cap), sorting, filters, "waiting since", the
watched word that matched, and bulk actions over selected items."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community.models import AuditEntry, Membership
from moderation.models import Flag, WatchedWord
from moderation.selectors import PAGE_SIZE
from moderation.services import flag_post
from tests.conftest import make_member
from threads import services as threads_services
from threads.models import Post

from .conftest import make_thread


def flag_many(space, n: int, *, reason: str = "spam", flagger=None, title="Busy thread"):
    """``n`` published posts in one thread of ``space``, each with one open flag; the first
    post's flag is the oldest. Made in bulk so that hundreds are quick."""
    author = make_member(space)
    flagger = flagger or make_member(space)
    thread = make_thread(space, author, title=title)
    posts = Post.objects.bulk_create(
        Post(
            thread=thread,
            author=author,
            body=f"Post {i}",
            body_html=f"<p>Post {i}</p>",
            status="published",
        )
        for i in range(n)
    )
    now = timezone.now()
    post_type = ContentType.objects.get_for_model(Post)
    Flag.objects.bulk_create(
        Flag(
            flagger=flagger,
            kind="post",
            target_type=post_type,
            target_id=post.pk,
            target_user=author,
            space=space,
            reason=reason,
            created_at=now - timedelta(hours=n - i),
        )
        for i, post in enumerate(posts)
    )
    return posts


def _flagged(client, query: str = ""):
    response = client.get(f"/moderation/?kind=flags{query}")
    assert response.status_code == 200
    return response


def test_queue_pages_through_every_flagged_item_without_a_cap(space, moderator, login):
    flag_many(space, 130)
    client = login(moderator)
    first = _flagged(client).context["queue"].flagged
    assert first.paginator.count == 130 and first.paginator.num_pages == 6
    last = _flagged(client, "&page=6").context["queue"].flagged
    assert len(last) == 130 - 5 * PAGE_SIZE
    seen = set()
    for number in range(1, 7):
        page = _flagged(client, f"&page={number}").context["queue"].flagged
        seen |= {entry.target_id for entry in page}
    assert len(seen) == 130
    html = _flagged(client).content.decode()
    assert "Page 2 of 6" in html and "kind=flags&amp;page=2" in html


def test_queue_sorts_by_waiting_time_and_by_report_count(space, moderator, login):
    posts = flag_many(space, 3)
    popular = posts[2]  # the newest flag, but reported by two more members
    for _ in range(2):
        flag_post(actor=make_member(space), post=popular, reason="racist")
    client = login(moderator)
    waiting = [e.target_id for e in _flagged(client).context["queue"].flagged]
    assert waiting == [posts[0].pk, posts[1].pk, popular.pk]
    by_reports = _flagged(client, "&sort=reports").context["queue"].flagged
    assert by_reports[0].target_id == popular.pk
    assert by_reports[0].report_count == 3
    newest = _flagged(client, "&sort=newest").context["queue"].flagged
    assert newest[0].target_id == popular.pk


def test_card_says_how_long_an_item_has_waited(space, moderator, login):
    flag_many(space, 1)
    html = _flagged(login(moderator)).content.decode()
    assert "Waiting since" in html and "1\xa0hour ago" in html


def test_queue_filters_by_reason_kind_and_state(space, moderator, member, login):
    spam = flag_many(space, 2, reason="spam")
    racist = flag_many(space, 1, reason="racist")
    client = login(moderator)
    only_racist = _flagged(client, "&reason=racist").context["queue"].flagged
    assert [e.target_id for e in only_racist] == [racist[0].pk]
    assert _flagged(client, "&reason=nonsense").context["queue"].flagged.paginator.count == 3
    assert (
        login(moderator).get("/moderation/?kind=member").context["queue"].flagged.paginator.count
        == 0
    )
    posts_only = login(moderator).get("/moderation/?kind=post").context["queue"]
    assert posts_only.flagged.paginator.count == 3 and posts_only.join_requests is None

    client.post(f"/moderation/post/{spam[0].pk}/dismiss/", {"reason": "Fine"})
    assert _flagged(client).context["queue"].flagged.paginator.count == 2
    resolved = client.get("/moderation/?state=resolved")
    entries = resolved.context["queue"].flagged
    assert [e.target_id for e in entries] == [spam[0].pk]
    html = resolved.content.decode()
    assert "No action needed by Maya Moderator" in html
    assert 'name="items"' not in html  # resolved reports cannot be acted on again


def test_card_names_the_watched_word_and_that_it_was_in_the_title(space, moderator, member, login):
    WatchedWord.objects.create(word="Plonker", action=WatchedWord.Action.FLAG, space=space)
    thread = threads_services.create_thread(
        actor=member, space=space, title="What a plonker said today", body="Nothing in here."
    )
    flag = Flag.objects.get()
    assert (flag.matched_word, flag.matched_in) == ("Plonker", "title")
    threads_services.create_reply(actor=member, thread=thread, body="Another PLONKER here")
    reply_flag = Flag.objects.exclude(pk=flag.pk).get()
    assert (reply_flag.matched_word, reply_flag.matched_in) == ("Plonker", "body")
    html = login(moderator).get("/moderation/").content.decode()
    assert "watched word <strong>“Plonker”</strong> in the title" in html
    assert "watched word <strong>“Plonker”</strong> in the text" in html


@pytest.mark.parametrize("size", [10, 500])
def test_queue_page_runs_a_constant_number_of_queries(
    size, space, moderator, login, django_assert_max_num_queries
):
    client = login(moderator)
    flag_many(space, size)
    for i in range(min(size, 30)):
        make_member(space, f"Asker {i}", status=Membership.Status.PENDING)
    # The same ceiling for 10 items as for 500: counted once by hand, for one page.
    with django_assert_max_num_queries(20):
        response = client.get("/moderation/")
    assert response.context["queue"].flagged.paginator.count == size
    with django_assert_max_num_queries(20):
        client.get("/moderation/?sort=reports&reason=spam&page=2")


def test_queue_queries_do_not_grow_from_10_to_500_items(space, moderator, login):
    client = login(moderator)
    flag_many(space, 10)
    with CaptureQueriesContext(connection) as small:
        client.get("/moderation/")
    flag_many(space, 490)
    with CaptureQueriesContext(connection) as large:
        client.get("/moderation/")
    assert len(large.captured_queries) == len(small.captured_queries)


# Bulk actions ---------------------------------------------------------------------------------


def _keys(response) -> list[str]:
    return [entry.bulk_key for entry in response.context["queue"].entries]


def test_moderator_clears_60_items_with_two_bulk_actions_across_three_pages(
    space, moderator, login
):
    posts = flag_many(space, 60)
    client = login(moderator)
    assert _flagged(client).context["queue"].flagged.paginator.num_pages == 3
    # First action: on page 3, tick the ten spam posts there and hide them with one reason.
    page3 = _flagged(client, "&page=3")
    ticked = _keys(page3)
    assert len(ticked) == 10
    response = client.post(
        "/moderation/bulk/",
        {"items": ticked, "scope": "selected", "action": "hide", "reason": "Spam links"},
        follow=True,
    )
    assert "10 of 10 items hidden." in response.content.decode()
    # Second action: everything left, on pages 1 and 2, is fine: "every item matching".
    rest = _flagged(client)
    assert rest.context["queue"].flagged.paginator.count == 50
    assert "Every item matching these filters, on every page (50)" in rest.content.decode()
    response = client.post(
        "/moderation/bulk/",
        {"scope": "matching", "f_kind": "flags", "action": "dismiss", "reason": "Checked: fine"},
        follow=True,
    )
    assert "50 of 50 items closed with no action needed." in response.content.decode()
    assert not Flag.objects.open().exists()
    hidden = Post.objects.filter(pk__in=[p.pk for p in posts], status="hidden")
    assert hidden.count() == 10
    assert AuditEntry.objects.filter(action="post.hide", reason="Spam links").count() == 10
    assert AuditEntry.objects.filter(action="flag.dismiss", reason="Checked: fine").count() == 50


def test_every_item_on_this_page_acts_on_that_page_only(space, moderator, login):
    flag_many(space, 30)
    client = login(moderator)
    first = _flagged(client)
    client.post(
        "/moderation/bulk/",
        {"page_items": _keys(first), "scope": "page", "action": "dismiss"},
    )
    assert Flag.objects.open().count() == 5


def test_every_item_matching_respects_the_filters(space, other_space, moderator, login):
    Membership.objects.create(user=moderator, space=other_space, is_moderator=True)
    flag_many(space, 3, reason="spam")
    racist = flag_many(space, 2, reason="racist")
    flag_many(other_space, 2, reason="racist")
    client = login(moderator)
    page = client.get(f"/moderation/?reason=racist&space={space.slug}").content.decode()
    assert (
        'name="f_reason" value="racist"' in page and f'name="f_space" value="{space.slug}"' in page
    )
    client.post(
        "/moderation/bulk/",
        {
            "scope": "matching",
            "f_reason": "racist",
            "f_space": space.slug,
            "action": "hide",
            "reason": "Racist remarks",
        },
    )
    hidden = Post.objects.filter(status="hidden")
    assert set(hidden.values_list("pk", flat=True)) == {p.pk for p in racist}
    assert Flag.objects.open().count() == 5


def test_bulk_action_over_an_item_of_another_space_changes_nothing(
    space, other_space, moderator, login
):
    mine = flag_many(space, 2)
    theirs = flag_many(other_space, 1)
    keys = [f"post:{p.pk}:{space.pk}" for p in mine] + [f"post:{theirs[0].pk}:{other_space.pk}"]
    response = login(moderator).post(
        "/moderation/bulk/", {"items": keys, "action": "hide", "reason": "Spam"}, follow=True
    )
    assert "1 of the selected items is in a space you do not moderate. Nothing was changed." in (
        response.content.decode()
    )
    assert Flag.objects.open().count() == 3
    assert not Post.objects.filter(status="hidden").exists()
    assert not AuditEntry.objects.exists()


def test_bulk_key_naming_my_space_for_a_post_of_another_space_is_refused(
    space, other_space, moderator, login
):
    theirs = flag_many(other_space, 1)
    login(moderator).post(
        "/moderation/bulk/", {"items": [f"post:{theirs[0].pk}:{space.pk}"], "action": "dismiss"}
    )
    assert Flag.objects.open().count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"action": "hide", "reason": ""}, "Give a reason: each author is told why."),
        ({"action": "approve", "reason": ""}, "cannot be approved from here. Nothing was changed."),
        ({"action": "delete", "reason": "x"}, "Choose an action."),
        ({"action": "hide", "reason": "x" * 501}, "Keep the reason under 500 characters."),
    ],
)
def test_bulk_bad_input_is_refused_with_nothing_changed(space, moderator, login, data, message):
    posts = flag_many(space, 2)
    keys = [f"post:{p.pk}:{space.pk}" for p in posts]
    response = login(moderator).post("/moderation/bulk/", {"items": keys, **data}, follow=True)
    assert message in response.content.decode()
    assert Flag.objects.open().count() == 2 and not AuditEntry.objects.exists()


def test_bulk_with_nothing_selected_says_so(space, moderator, login):
    flag_many(space, 1)
    response = login(moderator).post("/moderation/bulk/", {"action": "dismiss"}, follow=True)
    assert "Select at least one item" in response.content.decode()
    assert Flag.objects.open().count() == 1


def test_bulk_approve_publishes_waiting_posts(space, moderator, member, login):
    thread = make_thread(space, member)
    waiting = [
        Post.objects.create(thread=thread, author=member, body="w", body_html="w", status="pending")
        for _ in range(3)
    ]
    client = login(moderator)
    keys = _keys(client.get("/moderation/?kind=approval"))
    assert len(keys) == 3
    client.post("/moderation/bulk/", {"items": keys, "action": "approve"})
    assert set(
        Post.objects.filter(pk__in=[p.pk for p in waiting]).values_list("status", flat=True)
    ) == {"published"}
    assert AuditEntry.objects.filter(action="post.approve").count() == 3


def test_member_cannot_use_bulk_actions(space, member, login):
    posts = flag_many(space, 1)
    response = login(member).post(
        "/moderation/bulk/", {"items": [f"post:{posts[0].pk}:{space.pk}"], "action": "dismiss"}
    )
    assert response.status_code == 403
    assert Flag.objects.open().count() == 1


def test_bulk_dismiss_of_a_post_that_only_waits_for_approval_is_refused(
    space, moderator, member, login
):
    thread = make_thread(space, member)
    waiting = Post.objects.create(
        thread=thread, author=member, body="w", body_html="w", status="pending"
    )
    response = login(moderator).post(
        "/moderation/bulk/",
        {"items": [f"post:{waiting.pk}:{space.pk}"], "action": "dismiss"},
        follow=True,
    )
    assert "cannot be closed with no action needed from here" in response.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "pending" and not AuditEntry.objects.exists()
