from django.db import migrations

# Strictest first: when two rows of one scope now normalize to the same word, the kept row takes
# the strictest of their actions, so no word is screened more leniently than before.
_STRICTNESS = {"block": 0, "require_approval": 1, "flag": 2}


def renormalize(apps, schema_editor):
    """Recompute ``normalized`` with today's :func:`moderation.text.normalize` (entities,
    format characters, look-alike letters and emphasis markers are now folded away).

    Rows of one scope (a space, or site-wide) that now mean the same word would break the unique
    constraints: the oldest is kept with the strictest of their actions and the others deleted.
    Changed rows first take a placeholder normalize() never gives (a tab), then their new value.
    """
    from moderation.text import normalize

    WatchedWord = apps.get_model("moderation", "WatchedWord")
    groups: dict[tuple, list] = {}
    for row in WatchedWord.objects.order_by("created_at", "pk"):
        groups.setdefault((row.space_id, normalize(row.word.strip())), []).append(row)
    changed = []
    for (_, normalized), rows in groups.items():
        kept, *others = rows
        strictest = min((r.action for r in rows), key=lambda a: _STRICTNESS.get(a, 99))
        if others:
            WatchedWord.objects.filter(pk__in=[r.pk for r in others]).delete()
        if kept.normalized != normalized or kept.action != strictest:
            kept.normalized, kept.action = normalized, strictest
            changed.append(kept)
    for row in changed:
        WatchedWord.objects.filter(pk=row.pk).update(normalized=f"\t{row.pk}")
    for row in changed:
        WatchedWord.objects.filter(pk=row.pk).update(normalized=row.normalized, action=row.action)


class Migration(migrations.Migration):
    dependencies = [("moderation", "0002_audit_log_in_community")]

    operations = [migrations.RunPython(renormalize, migrations.RunPython.noop, elidable=True)]
