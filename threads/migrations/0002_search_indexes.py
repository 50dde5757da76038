"""GIN indexes for full-text search. PostgreSQL only: on SQLite search falls back to icontains."""

from django.db import migrations

# The expressions match what threads.selectors.search_posts asks for, so the planner uses them.
CREATE = [
    "CREATE INDEX IF NOT EXISTS post_body_search ON threads_post "
    "USING GIN (to_tsvector('english'::regconfig, COALESCE(body, '')))",
    "CREATE INDEX IF NOT EXISTS thread_title_search ON threads_thread "
    "USING GIN (to_tsvector('english'::regconfig, COALESCE(title, '')))",
]
DROP = [
    "DROP INDEX IF EXISTS post_body_search",
    "DROP INDEX IF EXISTS thread_title_search",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("threads", "0001_initial")]

    operations = [migrations.RunPython(_run(CREATE), _run(DROP), elidable=False)]
