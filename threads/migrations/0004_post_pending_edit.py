from django.db import migrations, models


class Migration(migrations.Migration):
    """An author's edit held by a ``require approval`` watched word waits on the post itself
    (``pending_*``) while readers keep the published text."""

    dependencies = [("threads", "0003_post_quote_by_reference")]

    operations = [
        migrations.AddField(
            model_name="post",
            name="pending_at",
            field=models.DateTimeField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="post",
            name="pending_body",
            field=models.TextField(blank=True, editable=False, max_length=20000),
        ),
        migrations.AddField(
            model_name="post",
            name="pending_reason",
            field=models.CharField(blank=True, editable=False, max_length=500),
        ),
        migrations.AddField(
            model_name="post",
            name="pending_title",
            field=models.CharField(blank=True, editable=False, max_length=200),
        ),
        migrations.AddIndex(
            model_name="post",
            index=models.Index(
                condition=models.Q(("pending_at__isnull", False)),
                fields=["pending_at"],
                name="post_pending_edit",
            ),
        ),
    ]
