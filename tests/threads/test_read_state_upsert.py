"""The read state is written with one upsert: created when missing, moved forward, never back."""

from datetime import timedelta

import pytest
from django.utils import timezone

from threads import selectors, services
from threads.models import ReadState, Thread

from .helpers import thread_url

pytestmark = pytest.mark.django_db


def _state(user, thread):
    return ReadState.objects.get(user=user, thread=thread).last_read_at


def test_first_read_creates_the_state_in_one_query(thread, other_member, django_assert_num_queries):
    up_to = timezone.now()
    with django_assert_num_queries(1):
        assert services.mark_thread_read(actor=other_member, thread=thread, up_to=up_to)
    assert _state(other_member, thread) == up_to


def test_a_later_read_moves_it_forward_in_one_query(
    thread, other_member, django_assert_num_queries
):
    start = timezone.now()
    services.mark_thread_read(actor=other_member, thread=thread, up_to=start)
    later = start + timedelta(minutes=5)
    fresh = Thread.objects.get(pk=thread.pk)  # No last_read_at carried: the upsert decides.
    with django_assert_num_queries(1):
        assert services.mark_thread_read(actor=other_member, thread=fresh, up_to=later)
    assert _state(other_member, thread) == later


def test_an_earlier_read_never_moves_it_back(thread, other_member):
    start = timezone.now()
    services.mark_thread_read(actor=other_member, thread=thread, up_to=start)
    fresh = Thread.objects.get(pk=thread.pk)
    assert not services.mark_thread_read(
        actor=other_member, thread=fresh, up_to=start - timedelta(hours=1)
    )
    assert _state(other_member, thread) == start
    assert ReadState.objects.filter(user=other_member, thread=thread).count() == 1


def test_a_thread_that_carries_its_read_state_costs_no_query_when_nothing_is_new(
    thread, other_member, django_assert_num_queries
):
    now = timezone.now()
    services.mark_thread_read(actor=other_member, thread=thread, up_to=now)
    carried = selectors.thread_in_space(other_member, thread.space.slug, thread.pk)
    with django_assert_num_queries(0):
        assert not services.mark_thread_read(actor=other_member, thread=carried, up_to=now)


def test_reading_the_page_records_the_last_post_shown(login, thread, other_member, member):
    reply = services.create_reply(actor=member, thread=thread, body="Newest")
    login(other_member).get(thread_url(thread))
    assert _state(other_member, thread) == reply.created_at


def test_anonymous_visitors_store_nothing(thread):
    from django.contrib.auth.models import AnonymousUser

    assert not services.mark_thread_read(actor=AnonymousUser(), thread=thread, up_to=timezone.now())
    assert not ReadState.objects.exclude(user=thread.author).exists()
