"""Every URL pattern, requested as every role: the expected status, and no private content leaks.

The table below has one entry per URL name. An entry says how to build the URL from the sweep's
objects (``sweep_world.py``) and what each role gets. A URL pattern without an entry fails
``test_every_url_pattern_is_in_the_sweep``, so a new view cannot ship unswept.

Outcomes: ``ok`` (2xx), ``redirect`` (3xx elsewhere than sign-in), ``login`` (302 to sign-in),
``403``, ``404``, ``405``; ``a|b`` accepts either. A refusal (login, 403, 404, 405) must leave
the database exactly as it was, and every response to a role outside the private space (and
every redirect's ``Location``) must carry none of its secret title, body or author name; a peer
must never see who wrote an anonymous post.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.shortcuts import resolve_url
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from .sweep_world import (
    ANONYMOUS_AUTHOR,
    NON_READERS,
    READERS,
    ROLES,
    SECRETS,
    SEE_ANONYMOUS,
    World,
    build_world,
)

# -- enumerating the URLconf ------------------------------------------------------------------

# Patterns we do not sweep, and why. allauth's own views (sign-in, sign-up, password, email,
# MFA, sessions) are allauth's to guard and are exercised by tests/security/test_sign_in.py and
# tests/community; Django admin's internals all sit behind ``AdminSite.admin_view`` (staff only),
# whose gate the sweep checks on ``admin:index``.
SKIPPED_PREFIXES = ("accounts/", "admin/")
SWEPT_IN_SKIPPED = {"admin:index"}


def url_patterns() -> dict[str, str]:
    """Every named pattern of the URLconf as ``{name: route}``, namespaces joined with ``:``."""
    found: dict[str, str] = {}

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = namespace
                if pattern.namespace:
                    ns = f"{namespace}{pattern.namespace}:"
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern):
                name = f"{namespace}{pattern.name}" if pattern.name else f"<unnamed {route}>"
                found[name] = route

    walk(get_resolver().url_patterns, "", "")
    return found


def swept_patterns() -> dict[str, str]:
    out = {}
    for name, route in url_patterns().items():
        if name in SWEPT_IN_SKIPPED:
            out[name] = route
        elif route.startswith(SKIPPED_PREFIXES):
            continue
        else:
            out[name] = route
    return out


# -- the table ----------------------------------------------------------------------------------

SIGNED_IN = tuple(r for r in ROLES if r != "anonymous")


def outcomes(default: str = "ok", **per_role: str) -> dict[str, str]:
    """Anonymous is sent to sign-in; everyone else gets ``default`` unless named."""
    table = {role: default for role in ROLES}
    table["anonymous"] = "login"
    table.update(per_role)
    return table


def inside(readers: str = "ok", **per_role: str) -> dict[str, str]:
    """Inside the private space: readers get ``readers``, everyone else a 404."""
    table = outcomes("404", **{role: readers for role in READERS})
    table.update(per_role)
    return table


def moderators_only(ok: str = "ok", **per_role: str) -> dict[str, str]:
    """The private space's moderators and staff; its other readers 403; the rest 404."""
    return inside("403", moderator=ok, staff=ok, **per_role)


def listed_space_admin(ok: str = "ok") -> dict[str, str]:
    """A listed space's settings: anyone who can see the space learns only that they may not."""
    return outcomes("403", moderator=ok, staff=ok)


def staff_only(ok: str = "ok") -> dict[str, str]:
    return outcomes("403", staff=ok)


def post_only(post: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"get": outcomes("405"), "post": post}


@dataclass(frozen=True)
class Entry:
    kwargs: Callable[[World], dict] | None
    expect: dict[str, dict[str, str]]
    query: str = ""
    data: dict = field(default_factory=dict)
    # The page is about the secret author (their profile): their name may appear.
    names_author: bool = False
    # The page lists the space's members: the anonymous author's name appears as a member.
    lists_members: bool = False


def get(expect: dict[str, str], kwargs=None, **extra) -> Entry:
    return Entry(kwargs, {"get": expect}, **extra)


def posted(expect: dict[str, str], kwargs=None, **extra) -> Entry:
    return Entry(kwargs, post_only(expect), **extra)


def both(get_: dict[str, str], post: dict[str, str], kwargs=None, **extra) -> Entry:
    return Entry(kwargs, {"get": get_, "post": post}, **extra)


def slug(w: World) -> dict:
    return {"slug": w.space.slug}


def thread(w: World) -> dict:
    return {"slug": w.space.slug, "thread_id": w.thread.pk}


def post(w: World) -> dict:
    return {**thread(w), "post_id": w.first_post.pk}


def anonymous_post(w: World) -> dict:
    return {**thread(w), "post_id": w.anonymous_post.pk}


def session(w: World) -> dict:
    return {"session_id": w.session.pk}


# Signed-in members who may not act are told so with a 403; a sanctioned member's form pages
# either show the notice (200) or refuse (403).
# (a redirect back with the reason as a message counts as telling them).
SANCTIONED = {"muted_member": "ok|403|redirect", "suspended_member": "ok|403|redirect"}
ACT = {"muted_member": "redirect|403", "suspended_member": "redirect|403"}

TABLE: dict[str, Entry] = {
    # community
    "home": get(outcomes(anonymous="ok")),
    "healthz": get(outcomes(anonymous="ok")),
    # Anonymous visitors go through /admin/login/, which sends them to allauth's sign-in.
    "admin:index": get(outcomes("redirect", staff="ok", anonymous="redirect")),
    "account_settings": get(outcomes()),
    "profile_edit": both(outcomes(), outcomes("ok|redirect")),
    "account_export": get(outcomes()),
    "account_delete": get(outcomes("redirect")),
    "account_delete_cancel": posted(outcomes("redirect")),
    "profile": get(outcomes(), lambda w: {"user_id": w.author.pk}, names_author=True),
    "community_guidelines": get(outcomes()),
    "community_guidelines_edit": get(staff_only()),
    "site_invitation_create": posted(staff_only("redirect|ok")),
    "invitation_accept": get(
        outcomes("ok|redirect", anonymous="ok|redirect"), lambda w: {"token": w.invitation.token}
    ),
    "support": get(outcomes()),
    "invitation_list": get(outcomes()),
    "invitation_revoke": posted(
        outcomes("404", moderator="redirect", staff="redirect"),
        lambda w: {"pk": w.invitation.pk},
    ),
    "space_list": get(outcomes()),
    "space_create": get(staff_only()),
    "space_detail": get(outcomes(), slug),
    "space_join": both(
        outcomes("redirect", outsider="ok", other_moderator="ok", staff="ok"),
        outcomes("redirect"),
        slug,
        data={"accept_guidelines": "on", "message": "Let me in"},
    ),
    "space_leave": posted(outcomes("redirect"), slug),
    "space_members": get(inside(), slug, lists_members=True),
    "space_settings": get(listed_space_admin(), slug),
    "membership_action": posted(
        moderators_only("redirect"),
        lambda w: {
            "slug": w.space.slug,
            "membership_id": w.pending_membership.pk,
            "action": "approve",
        },
    ),
    "space_guidelines": get(outcomes(), slug),
    "space_guidelines_edit": get(listed_space_admin(), slug),
    "space_invitation_create": posted(listed_space_admin("redirect|ok"), slug),
    # threads
    "thread_create": get(inside(**SANCTIONED, staff="ok|redirect"), slug),
    "space_follow": posted(inside("redirect"), slug),
    "thread_detail": get(inside(), thread),
    "thread_reply": both(
        inside(**SANCTIONED, staff="ok|redirect"),
        inside("redirect|ok", **ACT),
        thread,
        data={"body": "A reply."},
    ),
    "thread_unread": get(inside("redirect"), thread),
    "thread_follow": posted(inside("redirect"), thread),
    "post_jump": get(inside("redirect"), post),
    "post_edit": get(inside("403", **{"moderator": "403|ok", "staff": "403|ok"}), post),
    "post_fragment": get(inside(), anonymous_post),
    "post_delete": get(inside("403", moderator="403|ok", staff="403|ok"), post),
    "post_react": posted(inside("redirect", **ACT), post, data={"kind": "thanks"}),
    "post_revisions": get(inside("404", moderator="ok", staff="ok"), post),
    "space_mark_read": posted(inside("redirect"), slug),
    "space_email": posted(inside("redirect"), slug, data={"frequency": "weekly"}),
    "thread_email": posted(inside("redirect"), thread, data={"frequency": "weekly"}),
    "thread_bookmark": posted(inside("redirect"), thread),
    "post_bookmark": posted(inside("redirect"), post),
    "bookmarks": get(outcomes()),
    "thread_draft": posted(inside("redirect"), thread, data={"body": "Sweep draft"}),
    "thread_create_draft": posted(inside("redirect"), slug, data={"title": "T", "body": "B"}),
    # Suggestions name the space's members (the anonymous author among them, as a member).
    "thread_mentions": get(inside(), thread, query="?q=a", lists_members=True),
    "space_mentions": get(inside(), slug, query="?q=a", lists_members=True),
    "search": get(outcomes(), query=f"?q={SECRETS[0].split()[0]}"),
    "notifications": get(outcomes()),
    "notifications_read": posted(outcomes("redirect")),
    "notifications_count": get(outcomes()),
    "notification_open": get(outcomes("404"), lambda w: {"notification_id": w.notification.pk}),
    # moderation
    "moderation_queue": get(outcomes("403", other_moderator="ok", moderator="ok", staff="ok")),
    "moderation_audit": get(outcomes("403", other_moderator="ok", moderator="ok", staff="ok")),
    "moderation_words": get(outcomes("403", other_moderator="ok", moderator="ok", staff="ok")),
    "moderation_word_remove": posted(
        outcomes("404", moderator="redirect", staff="redirect"), lambda w: {"pk": w.word.pk}
    ),
    "moderation_word_edit": get(
        outcomes("404", moderator="ok", staff="ok"), lambda w: {"pk": w.word.pk}
    ),
    "moderation_bulk": posted(
        outcomes("403", other_moderator="redirect", moderator="redirect", staff="redirect")
    ),
    "moderation_replies": get(outcomes("403", other_moderator="ok", moderator="ok", staff="ok")),
    "moderation_reply_remove": posted(
        outcomes("404", moderator="redirect", staff="redirect"),
        lambda w: {"pk": w.saved_reply.pk},
    ),
    "moderation_wellbeing": get(outcomes("403", other_moderator="ok", moderator="ok", staff="ok")),
    "moderation_members": get(staff_only()),
    "moderation_notes": both(
        moderators_only(),
        moderators_only("redirect"),
        lambda w: {"slug": w.space.slug, "user_id": w.author.pk},
        data={"body": "Sweep note"},
        names_author=True,
    ),
    # the reporter's side, appeals, the transparency report (moderation)
    "report_sent": get(outcomes()),
    "my_reports": get(outcomes()),
    "withdraw_report": posted(outcomes("404", member="redirect"), lambda w: {"pk": w.flag.pk}),
    "my_decisions": get(outcomes()),
    "appeal_create": get(outcomes("404", member="ok"), lambda w: {"entry_id": w.warning.pk}),
    "moderation_appeals": get(outcomes("403", other_moderator="ok", moderator="ok", staff="ok")),
    "appeal_detail": get(
        outcomes("403", other_moderator="404", moderator="ok", staff="ok"),
        lambda w: {"pk": w.appeal.pk},
    ),
    "transparency_report": get(outcomes()),
    "flag_post": get(inside(**SANCTIONED), lambda w: {"pk": w.first_post.pk}),
    "flag_thread": get(inside(**SANCTIONED), lambda w: {"pk": w.thread.pk}),
    "flag_commitment": get(inside(**SANCTIONED), lambda w: {"pk": w.commitment.pk}),
    "flag_member": get(
        inside(**SANCTIONED),
        lambda w: {"slug": w.space.slug, "user_id": w.author.pk},
        names_author=True,
    ),
    "moderation_post": both(
        moderators_only(),
        moderators_only("redirect"),
        lambda w: {"pk": w.first_post.pk, "action": "hide"},
        data={"reason": "Sweep"},
    ),
    "moderation_thread": both(
        moderators_only(),
        moderators_only("redirect"),
        lambda w: {"pk": w.thread.pk, "action": "lock"},
        data={"reason": "Sweep"},
    ),
    "moderation_member": both(
        moderators_only(),
        moderators_only("redirect"),
        lambda w: {"slug": w.space.slug, "user_id": w.author.pk, "action": "warn"},
        data={"reason": "Sweep"},
        names_author=True,
    ),
    "moderation_account": both(
        staff_only(),
        staff_only("redirect"),
        lambda w: {"user_id": w.author.pk, "action": "unsuspend"},
        names_author=True,
    ),
    "moderation_item": both(
        moderators_only(),
        moderators_only("redirect"),
        lambda w: {"kind": "thread", "pk": w.thread.pk, "action": "pin"},
        data={"reason": "Sweep"},
    ),
    "moderation_live": both(
        moderators_only(),
        moderators_only("redirect"),
        lambda w: {"pk": w.event.pk, "action": "hide"},
        data={"reason": "Sweep"},
    ),
    # realtime
    "live_list": get(outcomes()),
    "live_create": get(
        outcomes("403", moderator="ok", facilitator="ok", staff="ok", other_moderator="ok")
    ),
    "live_room": get(inside(suspended_member="ok|403"), session, lists_members=True),
    "live_edit": get(inside("403", moderator="ok", facilitator="ok", staff="ok"), session),
    "live_calendar": get(inside(), session),
    # The feed's only credential is its token: without one, a 404 for everyone, signed in or not.
    "live_feed": get(outcomes("404", anonymous="404")),
    "live_feed_reset": posted(outcomes("redirect")),
    "live_transcript": get(inside("ok|redirect|404"), session),
    "live_register": posted(inside("redirect", suspended_member="redirect|403"), session),
    "live_cancel": posted(inside("redirect"), session),
    # Feedback: the form tells readers when they cannot give it yet; results are facilitators'.
    "live_feedback": get(inside(), session),
    "live_feedback_results": get(
        inside("403", moderator="ok", facilitator="ok", staff="ok"), session
    ),
    # The summary: drafted by facilitators once the session has ended (the sweep's is live, so
    # all readers are refused); published only after the 48-hour window (facilitators are sent
    # back with the time it opens); each member withdraws only their own words.
    "live_summary": both(inside("403"), inside("403"), session, data={"themes": "Sweep"}),
    "live_summary_publish": posted(
        inside("403", moderator="redirect", facilitator="redirect", staff="redirect"), session
    ),
    "live_summary_quotes": get(inside(), session),
    "live_summary_withdraw": posted(
        inside("403"),
        lambda w: {"session_id": w.session.pk, "quote_id": w.summary_quote.pk},
    ),
    "live_status": posted(
        inside("403", moderator="redirect", facilitator="redirect", staff="redirect"),
        lambda w: {"session_id": w.session.pk, "action": "end"},
    ),
    # commitments (threads.commitments): the swept one is shared anonymously with the space
    "commitment_list": get(outcomes()),
    "commitment_create": get(outcomes()),
    "commitment_detail": get(inside(), lambda w: {"commitment_id": w.commitment.pk}),
    "commitment_edit": get(inside("403"), lambda w: {"commitment_id": w.commitment.pk}),
    "commitment_update": posted(
        inside("403"), lambda w: {"commitment_id": w.commitment.pk}, data={"happened": "Sweep"}
    ),
    "commitment_reminders": posted(inside("403"), lambda w: {"commitment_id": w.commitment.pk}),
    "space_commitments": get(inside(), slug),
    "case_study_edit": get(
        inside("403", moderator="ok", staff="ok"), lambda w: {"thread_id": w.case_study.thread_id}
    ),
    "live_actions": both(inside(), inside("403"), session, data={"text": "Sweep action"}),
    "proposal_adopt": get(
        inside("redirect", facilitator="ok"),
        lambda w: {"session_id": w.session.pk, "proposal_id": w.proposal.pk},
    ),
    "library": get(outcomes()),
    "case_study_create": get(outcomes()),
}


# -- running it ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """The sweep's objects, built once and rolled back when the module ends."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = build_world()
            cookies = {}
            for role, user in built.users.items():
                if user is not None:
                    client = Client()
                    client.force_login(user)
                    cookies[role] = client.cookies[settings.SESSION_COOKIE_NAME].value
            built.objects["cookies"] = cookies
            built.objects["fingerprint"] = fingerprint()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


FINGERPRINT_APPS = ("community", "threads", "moderation", "realtime", "commitments")


def fingerprint() -> str:
    """A digest of every row of the forum's own tables (small in this sweep)."""
    digest = hashlib.sha256()
    for app in FINGERPRINT_APPS:
        for model in apps.get_app_config(app).get_models():
            rows = model._base_manager.order_by("pk").values_list()
            digest.update(f"{model._meta.label}:{list(rows)!r}".encode())
    return digest.hexdigest()


def row_writes() -> int | None:
    """Rows inserted, updated or deleted so far on this SQLite connection (None elsewhere)."""
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT total_changes()")
        return cursor.fetchone()[0]


REFUSALS = {"login", "403", "404", "405"}


def classify(response) -> str:
    status = response.status_code
    if 200 <= status < 300:
        return "ok"
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        login = resolve_url(settings.LOGIN_URL)
        return "login" if location.startswith(login) else "redirect"
    return str(status)


def request(
    world: World, role: str, method: str, url: str, data: dict, baseline: str | None = None
):
    """One request in a savepoint that is rolled back, so no request sees another's writes.
    ``baseline`` is the digest to compare with when the test added rows of its own first."""
    client = Client(enforce_csrf_checks=False)
    if role != "anonymous":
        client.cookies[settings.SESSION_COOKIE_NAME] = world.cookies[role]
    cache.clear()
    with transaction.atomic():
        writes = row_writes()
        response = getattr(client, method)(url, data) if method == "post" else client.get(url)
        refused = classify(response) in REFUSALS
        # SQLite counts every row written; only when it moved is the full digest worth its cost.
        wrote = writes is None or row_writes() != writes
        changed = refused and wrote and fingerprint() != (baseline or world.fingerprint)
        transaction.set_rollback(True)
    return response, changed


def check(world: World, name: str) -> list[str]:
    entry = TABLE[name]
    kwargs = entry.kwargs(world) if entry.kwargs else {}
    url = resolve_url(name, **kwargs) + entry.query
    problems = []
    for method, expect in entry.expect.items():
        for role in ROLES:
            response, changed = request(world, role, method, url, entry.data)
            got = classify(response)
            wanted = expect[role]
            where = f"{method.upper()} {url} as {role}"
            if got not in wanted.split("|"):
                problems.append(f"{where}: expected {wanted}, got {got} ({response.status_code})")
            if changed:
                problems.append(f"{where}: refused ({got}) but the database changed")
            text = response.headers.get("Location", "")
            if not getattr(response, "streaming", False):
                text += response.content.decode("utf-8", "replace")
            if role in NON_READERS:
                for secret in SECRETS:
                    if entry.names_author and secret == SECRETS[2]:
                        continue
                    if secret in text:
                        problems.append(f"{where}: leaks {secret!r}")
            if role not in SEE_ANONYMOUS and not entry.lists_members and ANONYMOUS_AUTHOR in text:
                problems.append(f"{where}: unmasks the anonymous author")
    return problems


def test_every_url_pattern_is_in_the_sweep():
    missing = sorted(set(swept_patterns()) - set(TABLE))
    stale = sorted(set(TABLE) - set(swept_patterns()))
    assert not missing, f"add these URL names to the sweep's TABLE: {missing}"
    assert not stale, f"these TABLE entries match no URL pattern: {stale}"


def test_the_allow_list_skips_only_allauth_and_admin_internals():
    for name, route in url_patterns().items():
        if name not in swept_patterns():
            assert route.startswith(SKIPPED_PREFIXES), name


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(TABLE))
def test_url_answers_each_role_as_expected_and_leaks_nothing(world, name):
    problems = check(world, name)
    assert not problems, "\n".join(problems)


# Slug-addressed pages of an unlisted space: a non-member cannot tell it exists.
UNLISTED_OUTSIDERS = ("outsider", "other_moderator", "banned_member")


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(n for n, e in TABLE.items() if e.kwargs is slug))
def test_unlisted_space_pages_are_404_to_non_members(world, name):
    from community.models import Membership, Space

    with transaction.atomic():
        hidden = Space.objects.create(
            name="Sweep unlisted", slug="sweep-unlisted", listed=False, join_policy="invite"
        )
        Membership.objects.create(
            user=world.users["banned_member"], space=hidden, status=Membership.Status.BANNED
        )
        url = resolve_url(name, slug=hidden.slug)
        baseline = fingerprint()
        for method in TABLE[name].expect:
            for role in UNLISTED_OUTSIDERS:
                response, changed = request(world, role, method, url, TABLE[name].data, baseline)
                post_only_get = TABLE[name].expect[method]["outsider"] == "405"
                wanted = "405" if post_only_get else "404"
                assert classify(response) == wanted, (method, url, role, response.status_code)
                assert not changed
        transaction.set_rollback(True)
