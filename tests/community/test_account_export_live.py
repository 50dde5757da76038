"""The data export covers every live-session row a member owns (held questions with the reason
told to them, their own poll votes, that they gave feedback, their quotes in a summary), and
nothing of anyone else (who decided, whose poll, the other members' words or votes)."""

from __future__ import annotations

import json

import pytest
from django.apps import apps
from django.conf import settings
from django.urls import reverse

from realtime import exports, services, summaries
from realtime.models import LiveEvent, LiveSession

from ..realtime.conftest import make_session

pytestmark = pytest.mark.django_db


def export(client) -> dict:
    response = client.get(reverse("account_export"))
    assert response.status_code == 200
    return json.loads(response.content)


def test_every_realtime_column_naming_a_member_is_exported():
    user_model = apps.get_model(settings.AUTH_USER_MODEL)
    naming = {
        (model.__name__, field.name)
        for model in apps.get_app_config("realtime").get_models()
        for field in model._meta.get_fields()
        if field.is_relation and not field.auto_created and field.related_model is user_model
    }
    assert naming == set(exports.COVERED)


def test_every_covered_key_is_in_the_export(login, member):
    data = export(login(member))
    assert set(exports.COVERED.values()) <= set(data)


def test_held_questions_with_the_decline_reason_are_in_the_askers_export(
    login, space, facilitator, member, other_member
):
    session = make_session(space, facilitator, questions_need_approval=True)
    declined, _ = services.ask_question(
        actor=member, session=session, body="Why are we not paid the same?", client_msg_id="h1"
    )
    services.ask_question(
        actor=member, session=session, body="Second held question", client_msg_id="h2"
    )
    services.ask_question(
        actor=other_member, session=session, body="Olu's held words", client_msg_id="h3"
    )
    services.decline_question(
        actor=facilitator, session=session, held_id=declined.pk, reason="Off topic for today"
    )
    data = export(login(member))
    held = data["live_held_questions"]
    assert [(h["body"], h["status"], h["reason"]) for h in held] == [
        ("Why are we not paid the same?", "declined", "Off topic for today"),
        ("Second held question", "waiting", ""),
    ]
    text = json.dumps(data)
    assert "Olu's held words" not in text
    assert facilitator.display_name not in text  # never who decided


def test_the_decider_gets_what_they_decided_without_the_askers_words(
    login, space, facilitator, member
):
    session = make_session(space, facilitator, questions_need_approval=True)
    held, _ = services.ask_question(
        actor=member, session=session, body="The asker's own words", client_msg_id="h1"
    )
    services.decline_question(actor=facilitator, session=session, held_id=held.pk, reason="No")
    data = export(login(facilitator))
    assert data["live_held_questions_decided"] == [{"session": session.title, "status": "declined"}]
    assert "The asker's own words" not in json.dumps(data)
    assert member.display_name not in json.dumps(data)


def test_own_poll_vote_is_in_the_export_and_nobody_elses(
    login, space, facilitator, member, other_member
):
    session = make_session(space, facilitator)
    poll, _ = services.open_poll(
        actor=facilitator,
        session=session,
        question="Did the session feel safe?",
        options=["Yes", "Somewhat", "No"],
        client_msg_id="p1",
    )
    services.vote_in_poll(actor=member, session=session, poll_id=poll.seq, option=1)
    services.vote_in_poll(actor=other_member, session=session, poll_id=poll.seq, option=2)
    data = export(login(member))
    votes = data["live_poll_votes"]
    assert [(v["poll_id"], v["question"], v["option"], v["option_text"]) for v in votes] == [
        (poll.seq, "Did the session feel safe?", 1, "Somewhat")
    ]
    assert facilitator.display_name not in json.dumps(data)
    # The facilitator's export has the poll they opened, never anyone's vote.
    opened = export(login(facilitator))
    assert [m["poll"]["question"] for m in opened["live_messages"] if "poll" in m] == [
        "Did the session feel safe?"
    ]
    assert opened["live_poll_votes"] == []


def test_feedback_given_is_listed_but_the_answers_stay_unlinked(login, space, facilitator, member):
    from realtime.models import Attendance

    session = make_session(space, facilitator, status=LiveSession.Status.ENDED)
    Attendance.objects.create(session=session, user=member)
    services.give_feedback(
        actor=member, session=session, safety=4, helped="The breakouts", change="Longer"
    )
    data = export(login(member))
    assert data["live_feedback_given"]["sessions"] == [session.title]
    assert "stored apart" in data["live_feedback_given"]["note"]
    assert [a["session"] for a in data["live_attendance"]] == [session.title]
    # The answers have no member: nothing ties them to this account, in the export either.
    assert "The breakouts" not in json.dumps(data)


def test_quotes_of_their_words_in_a_summary_are_in_the_export(
    login, space, facilitator, member, other_member
):
    session = make_session(space, facilitator, status=LiveSession.Status.ENDED)
    events = []
    for author, body in ((member, "My words"), (other_member, "Someone else's words")):
        session.last_seq += 1
        session.save(update_fields=["last_seq"])
        events.append(
            LiveEvent.objects.create(
                session=session,
                seq=session.last_seq,
                kind=LiveEvent.Kind.MESSAGE,
                author=author,
                body=body,
                body_html=f"<p>{body}</p>",
            )
        )
    summaries.save_summary_draft(
        actor=facilitator, session=session, themes="Themes", seqs=[e.seq for e in events]
    )
    data = export(login(member))
    assert [(q["session"], q["message_seq"]) for q in data["live_summary_quotes"]] == [
        (session.title, events[0].seq)
    ]
    assert data["live_summary_quotes"][0]["withdrawn_at"] is None
    assert "Someone else's words" not in json.dumps(data)
    drafted = export(login(facilitator))["live_summaries_drafted"]
    assert [(s["session"], s["themes"]) for s in drafted] == [(session.title, "Themes")]


def test_removal_from_a_session_gives_the_reason_but_not_who_removed(
    login, space, facilitator, member
):
    from realtime.models import ParticipantRemoval

    session = make_session(space, facilitator)
    ParticipantRemoval.objects.create(
        session=session, user=member, removed_by=facilitator, reason="Shouting over others"
    )
    data = export(login(member))
    assert [(r["session"], r["reason"]) for r in data["live_removals"]] == [
        (session.title, "Shouting over others")
    ]
    assert facilitator.display_name not in json.dumps(data)
    made = export(login(facilitator))["live_removals_made"]
    assert [r["session"] for r in made] == [session.title]
    assert member.display_name not in json.dumps(made)
