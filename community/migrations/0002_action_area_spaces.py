"""Create the programme's five action-area spaces and the first community guidelines."""

from django.db import migrations
from django.utils import timezone


def create_spaces(apps, schema_editor):
    from community.content import COMMUNITY_GUIDELINES, SPACES, space_guidelines
    from community.rendering import render_markdown

    Space = apps.get_model("community", "Space")
    GuidelinesVersion = apps.get_model("community", "GuidelinesVersion")
    now = timezone.now()
    if not GuidelinesVersion.objects.filter(space__isnull=True).exists():
        GuidelinesVersion.objects.create(
            space=None,
            version=1,
            body=COMMUNITY_GUIDELINES,
            body_html=render_markdown(COMMUNITY_GUIDELINES),
            created_at=now,
        )
    for data in SPACES:
        space, created = Space.objects.get_or_create(
            slug=data["slug"],
            defaults={
                "name": data["name"],
                "summary": data["summary"],
                "position": data["position"],
                "join_policy": "open",
                "listed": True,
            },
        )
        if not GuidelinesVersion.objects.filter(space=space).exists():
            body = space_guidelines(data["name"])
            GuidelinesVersion.objects.create(
                space=space, version=1, body=body, body_html=render_markdown(body), created_at=now
            )


class Migration(migrations.Migration):
    dependencies = [("community", "0001_initial")]

    operations = [migrations.RunPython(create_spaces, migrations.RunPython.noop)]
