"""Demo data (seed_demo) and benchmark data (generate_data --commitments)."""

import json
from io import StringIO

import pytest
from django.core.management import call_command

from community.models import User
from threads.commitments.models import ActionProposal, CaseStudy, Commitment

pytestmark = pytest.mark.django_db


def test_seed_demo_gives_the_member_three_commitments_and_a_structured_case_study(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())  # idempotent
    member = User.objects.get(email="member@example.org")
    mine = list(Commitment.objects.filter(owner=member))
    assert len(mine) == 3
    assert sum(c.is_overdue() for c in mine) == 1
    done = [c for c in mine if c.status == "done"]
    assert len(done) == 1 and done[0].updates.filter(report_post__isnull=False).exists()
    shared_spaces = {c.space.slug for c in mine if c.visibility == "space"}
    assert shared_spaces == {"leadership-accountability", "inclusive-recruitment"}
    case_study = CaseStudy.objects.get()
    assert case_study.thread.kind == "case-study" and case_study.before and case_study.after
    assert ActionProposal.objects.count() == 2


def test_generate_data_adds_commitments_in_bulk(settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO())
    before = Commitment.objects.count()
    out = StringIO()
    call_command(
        "generate_data",
        members=12,
        spaces=2,
        threads=10,
        posts=40,
        big_thread_posts=20,
        live_sessions=0,
        live_events=0,
        distinct_bodies=10,
        commitments=120,
        seed=7,
        no_progress=True,
        stdout=out,
    )
    result = json.loads(out.getvalue().strip().splitlines()[-1])
    assert result["counts"]["commitments.Commitment"] == 120
    assert Commitment.objects.count() == before + 120
    assert Commitment.objects.filter(visibility="space", space__isnull=True).count() == 0
    assert not Commitment.objects.filter(anonymous=True).exclude(visibility="space").exists()
