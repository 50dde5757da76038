"""SQLite: the FTS5 index of migration 0007 rebuilt with a word tokenizer (``porter unicode61``,
English stems, as PostgreSQL's ``english`` configuration gives) instead of trigrams, so search
can rank inside the index: ``bm25`` needs each term's row count over the whole table, and a
trigram index finds that by matching the term as a phrase of trigrams in every row that holds
them (130-190 ms for "reverse mentoring" at 200,000 posts, before any row is ranked), where a
word index reads it from one doclist (2-16 ms for the newest 1,400 rows ranked). Matching is by
word, as on PostgreSQL, not inside words as the trigram index (and ``icontains`` before it) did.
Same columns and triggers: every write path keeps it up to date."""

from django.db import migrations

TRIGRAM = "trigram"
WORDS = "porter unicode61 remove_diacritics 2"
TRIGGERS = [
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
]
DROP = [
    "DROP TRIGGER IF EXISTS threads_thread_search_title",
    "DROP TRIGGER IF EXISTS threads_post_search_delete",
    "DROP TRIGGER IF EXISTS threads_post_search_update",
    "DROP TRIGGER IF EXISTS threads_post_search_insert",
    "DROP TABLE IF EXISTS threads_post_search",
]


def _rebuild(tokenizer: str):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "sqlite":
            return
        statements = [
            *DROP,
            "CREATE VIRTUAL TABLE threads_post_search USING fts5(body, title, "
            f"tokenize = '{tokenizer}')",
            *TRIGGERS,
            """INSERT INTO threads_post_search (rowid, body, title)
                SELECT p.id, p.body, CASE WHEN p.is_opening THEN t.title ELSE '' END
                FROM threads_post p JOIN threads_thread t ON t.id = p.thread_id""",
        ]
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("threads", "0010_thread_activity_index")]

    operations = [migrations.RunPython(_rebuild(WORDS), _rebuild(TRIGRAM), elidable=False)]
