"""Copy the forum's benchmark data into a fresh Spirit database (bench only).

Run in the Spirit venv (bench/spirit/venv.py), with ``DJANGO_SETTINGS_MODULE=bench.spirit.settings``
and ``SPIRIT_DATABASE_URL`` naming the target, which is dropped and recreated (a SQLite file is
deleted; a PostgreSQL database is ``DROP … WITH (FORCE)``-ed and created). The forum's database
is only read, with plain SQL (the forum's models are not importable here)::

    python -m bench.spirit.load --source sqlite:////work/data/full.sqlite3 \
        --data /work/data/full-sqlite.json

What is copied, so both forums serve the same thread to the same member:

- every member (same primary key, e-mail, password hash, active and staff flags, join date),
  the display name as Spirit's nickname (what Spirit prints beside a comment); Spirit needs a
  unique username, made from the e-mail's local part;
- every space as a category (name, summary, order);
- the big thread (``big_thread_id`` of generate_data's JSON) as a topic of its space's category,
  and, as its comments, exactly the posts the forum shows the bench member in that thread
  (published and not deleted, or the member's own; oldest first), with the same bodies,
  authors and times; each body rendered once by Spirit's own Markdown renderer, as Spirit's
  comment form does on save; ``likes_count`` is the post's number of reactions and the bench
  member's own reactions are likes (Spirit has one kind);
- Spirit's ``comments_per_page`` (djconfig) set to the forum's 30 posts per page.

The last stdout line is JSON: the topic's path, its last page and the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import sys
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.spirit.settings")

POSTS_PER_PAGE = 30  # threads.selectors.POSTS_PER_PAGE


class Source:
    """Read-only plain-SQL access to the forum's database (SQLite or PostgreSQL)."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme == "sqlite":
            path = parts.path[1:] if parts.path.startswith("//") else parts.path
            self.conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            self.mark = "?"
        else:
            import psycopg

            self.conn = psycopg.connect(url)
            self.conn.read_only = True
            self.mark = "%s"

    def rows(self, sql: str, *params) -> list[tuple]:
        cur = self.conn.cursor()
        cur.execute(sql.replace("?", self.mark), params)
        return cur.fetchall()


def _aware(value):
    """SQLite gives the forum's datetimes as text; PostgreSQL as aware datetimes."""
    from datetime import UTC, datetime

    if value is None or not isinstance(value, str):
        return value
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def recreate_target(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "sqlite":
        path = Path(parts.path[1:] if parts.path.startswith("//") else parts.path)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    name = parts.path.lstrip("/")
    if not name.replace("_", "").isalnum() or "spirit" not in name:
        raise SystemExit(f"Refusing to recreate {name!r}: a Spirit database's name holds 'spirit'.")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def load(source_url: str, data: dict) -> dict:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils.text import slugify
    from djconfig.models import Config
    from spirit.category.models import Category
    from spirit.comment.like.models import CommentLike
    from spirit.comment.models import Comment
    from spirit.core.utils.markdown import Markdown
    from spirit.topic.models import Topic
    from spirit.user.models import UserProfile

    timings: dict[str, float] = {}
    started = time.monotonic()
    call_command("migrate", "--noinput", verbosity=0)
    timings["migrate_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()

    src = Source(source_url)
    member_email = data["member_email"].lower()
    (member_id,) = src.rows("SELECT id FROM community_user WHERE lower(email) = ?", member_email)[0]
    thread_id = data["big_thread_id"]
    users = src.rows(
        "SELECT id, email, password, display_name, is_active, is_staff, date_joined "
        "FROM community_user ORDER BY id"
    )
    spaces = src.rows("SELECT id, name, summary, position FROM community_space ORDER BY id")
    (space_id, title, created_at, last_post_at, author_id) = src.rows(
        "SELECT space_id, title, created_at, last_post_at, author_id FROM threads_thread "
        "WHERE id = ?",
        thread_id,
    )[0]
    posts = src.rows(
        "SELECT id, author_id, body, created_at, edited_at FROM threads_post "
        "WHERE thread_id = ? AND is_deleted = ? AND (status = 'published' OR author_id = ?) "
        "ORDER BY created_at, id",
        thread_id,
        False,
        member_id,
    )
    reactions = dict(
        src.rows(
            "SELECT r.post_id, count(*) FROM threads_reaction r JOIN threads_post p "
            "ON p.id = r.post_id WHERE p.thread_id = ? GROUP BY r.post_id",
            thread_id,
        )
    )
    mine = {
        post_id
        for (post_id,) in src.rows(
            "SELECT DISTINCT r.post_id FROM threads_reaction r JOIN threads_post p "
            "ON p.id = r.post_id WHERE p.thread_id = ? AND r.user_id = ?",
            thread_id,
            member_id,
        )
    }
    timings["read_s"] = round(time.monotonic() - started, 1)
    started = time.monotonic()

    User = get_user_model()
    with transaction.atomic():
        taken: set[str] = set()
        user_rows, profiles = [], []
        for uid, email, password, display_name, active, staff, joined in users:
            base = slugify(email.split("@")[0])[:140] or f"user{uid}"
            username = base if base not in taken else f"{base}-{uid}"
            taken.add(username)
            user_rows.append(
                User(
                    id=uid,
                    username=username,
                    email=email.lower(),
                    password=password,
                    is_active=bool(active),
                    is_staff=bool(staff),
                    is_superuser=False,
                    date_joined=_aware(joined),
                )
            )
            profiles.append(
                UserProfile(user_id=uid, nickname=display_name or username, is_verified=True)
            )
        # A member the forum no longer has (author NULL after erasure) gets one placeholder.
        ghost_id = max(u[0] for u in users) + 1
        user_rows.append(User(id=ghost_id, username="former-member", email="", is_active=False))
        profiles.append(UserProfile(user_id=ghost_id, nickname="Former member", is_verified=True))
        User.objects.bulk_create(user_rows, batch_size=1000)
        UserProfile.objects.bulk_create(profiles, batch_size=1000)

        category_of = {}
        for sid, name, summary, position in spaces:
            category = Category.objects.create(
                title=name[:75],
                slug=slugify(name)[:50],
                description=(summary or "")[:255],
                sort=position or 0,
            )
            category_of[sid] = category.pk

        topic = Topic.objects.create(
            user_id=author_id or ghost_id,
            category_id=category_of[space_id],
            title=title[:255],
            slug=slugify(title)[:50],
            date=_aware(created_at),
            last_active=_aware(last_post_at),
            comment_count=len(posts),
        )
        markdown_html: dict[str, str] = {}
        comments = []
        for _pid, author, body, created, edited in posts:
            if body not in markdown_html:
                markdown_html[body] = Markdown().render(body)
            comments.append(
                Comment(
                    user_id=author or ghost_id,
                    topic=topic,
                    comment=body,
                    comment_html=markdown_html[body],
                    date=_aware(created),
                    is_modified=edited is not None,
                    likes_count=reactions.get(_pid, 0),
                )
            )
        created_comments = Comment.objects.bulk_create(comments, batch_size=1000)
        if created_comments and created_comments[0].pk is None:
            # SQLite before 3.35 returns no ids from bulk_create: read them back in order.
            ids = list(
                Comment.objects.filter(topic=topic).order_by("pk").values_list("pk", flat=True)
            )
            for comment, pk in zip(created_comments, ids, strict=True):
                comment.pk = pk
        CommentLike.objects.bulk_create(
            [
                CommentLike(user_id=member_id, comment_id=c.pk)
                for (pid, *_), c in zip(posts, created_comments, strict=True)
                if pid in mine
            ],
            batch_size=1000,
        )
        Config.objects.update_or_create(
            key="comments_per_page", defaults={"value": json.dumps(POSTS_PER_PAGE)}
        )
        if connection.vendor == "postgresql":
            # Explicit ids leave the sequences behind; Spirit's own inserts would collide.
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT setval(pg_get_serial_sequence('auth_user', 'id'), "
                    "(SELECT max(id) FROM auth_user))"
                )
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE")
    timings["write_s"] = round(time.monotonic() - started, 1)
    last_page = (len(posts) - 1) // POSTS_PER_PAGE + 1
    return {
        "topic_path": topic.get_absolute_url(),
        "topic_id": topic.pk,
        "topic_comments": len(posts),
        "topic_last_page": last_page,
        "members": len(users),
        "categories": len(spaces),
        "member_likes": len(mine),
        "member_email": member_email,
        "comments_per_page": POSTS_PER_PAGE,
        "timings": timings,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", required=True, help="The forum's DATABASE_URL (only read).")
    parser.add_argument("--data", required=True, help="generate_data's JSON (its last line).")
    args = parser.parse_args(argv)
    target = os.environ.get("SPIRIT_DATABASE_URL")
    if not target:
        raise SystemExit("Set SPIRIT_DATABASE_URL to the Spirit database to (re)create.")
    data = json.loads(Path(args.data).read_text().strip().splitlines()[-1])
    recreate_target(target)
    print(json.dumps(load(args.source, data)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
