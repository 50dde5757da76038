"""SQLite (the embedded default): a full-text index of post bodies and opening posts' thread
titles, FTS5 with the trigram tokenizer (substring matches, as ``icontains`` gave), kept up to
date by triggers on every write to posts and thread titles, whichever path makes it (services,
bulk loads, erasure, deletes). PostgreSQL keeps its GIN indexes from migration 0002."""

from django.db import migrations

CREATE = [
    "CREATE VIRTUAL TABLE threads_post_search USING fts5(body, title, tokenize = 'trigram')",
    """CREATE TRIGGER threads_post_search_insert AFTER INSERT ON threads_post BEGIN
        INSERT INTO threads_post_search (rowid, body, title) VALUES (new.id, new.body,
            CASE WHEN new.is_opening
                THEN (SELECT title FROM threads_thread WHERE id = new.thread_id) ELSE '' END);
    END""",
    """CREATE TRIGGER threads_post_search_update
    AFTER UPDATE OF body, is_opening, thread_id ON threads_post BEGIN
        DELETE FROM threads_post_search WHERE rowid = old.id;
        INSERT INTO threads_post_search (rowid, body, title) VALUES (new.id, new.body,
            CASE WHEN new.is_opening
                THEN (SELECT title FROM threads_thread WHERE id = new.thread_id) ELSE '' END);
    END""",
    """CREATE TRIGGER threads_post_search_delete AFTER DELETE ON threads_post BEGIN
        DELETE FROM threads_post_search WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER threads_thread_search_title AFTER UPDATE OF title ON threads_thread BEGIN
        UPDATE threads_post_search SET title = new.title WHERE rowid IN
            (SELECT id FROM threads_post WHERE thread_id = new.id AND is_opening);
    END""",
    """INSERT INTO threads_post_search (rowid, body, title)
        SELECT p.id, p.body, CASE WHEN p.is_opening THEN t.title ELSE '' END
        FROM threads_post p JOIN threads_thread t ON t.id = p.thread_id""",
]
DROP = [
    "DROP TRIGGER IF EXISTS threads_thread_search_title",
    "DROP TRIGGER IF EXISTS threads_post_search_delete",
    "DROP TRIGGER IF EXISTS threads_post_search_update",
    "DROP TRIGGER IF EXISTS threads_post_search_insert",
    "DROP TABLE IF EXISTS threads_post_search",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("threads", "0006_email_choices")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
