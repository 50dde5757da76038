"""generate_data (SPEC.md "Benchmark data"): JSON last line, readable big thread, counters."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Max

from community.models import User
from threads.models import Post, PostStatus, Thread


def _generate(seed: int = 3) -> dict:
    out = StringIO()
    call_command(
        "generate_data",
        members=12,
        spaces=2,
        threads=25,
        posts=160,
        big_thread_posts=70,
        live_sessions=3,
        live_events=90,
        distinct_bodies=20,
        seed=seed,
        no_progress=True,
        stdout=out,
    )
    return json.loads(out.getvalue().strip().splitlines()[-1])


@pytest.mark.django_db
def test_generate_data_prints_json_with_a_big_thread_the_member_can_read():
    call_command("seed_demo", force=True, stdout=StringIO())
    result = _generate()
    member = User.objects.get(email=result["member_email"])
    big = Thread.objects.visible_to(member).get(pk=result["big_thread_id"])
    assert result["big_thread_path"] == f"/spaces/{big.space.slug}/threads/{big.pk}/"
    assert big.posts.count() == 70
    assert result["counts"]["threads.Post"] == 160
    assert result["counts"]["threads.Thread"] == 25


@pytest.mark.django_db
def test_generate_data_keeps_thread_counters_right():
    call_command("seed_demo", force=True, stdout=StringIO())
    _generate()
    for thread in Thread.objects.filter(author__email__startswith="gen"):
        published = Post.objects.filter(
            thread=thread, status=PostStatus.PUBLISHED, is_deleted=False
        )
        assert thread.post_count == published.count()
        assert thread.last_post_at == published.aggregate(last=Max("created_at"))["last"]


@pytest.mark.django_db
def test_generate_data_keeps_live_last_seq_right():
    pytest.importorskip("realtime.models")
    from realtime.models import LiveSession

    call_command("seed_demo", force=True, stdout=StringIO())
    result = _generate()
    for session in LiveSession.objects.filter(pk__in=result["live_session_ids"]):
        seqs = list(session.events.order_by("seq").values_list("seq", flat=True))
        assert session.last_seq == len(seqs)
        assert seqs == list(range(1, len(seqs) + 1))


@pytest.mark.django_db
def test_generate_data_refuses_the_same_seed_twice():
    from django.core.management.base import CommandError

    call_command("seed_demo", force=True, stdout=StringIO())
    _generate(seed=5)
    with pytest.raises(CommandError):
        _generate(seed=5)
