"""The one on/off email box becomes a frequency: on → straight away (each run of the job sends
what is waiting, as it did), off → never."""

from django.db import migrations, models


def carry_over(apps, schema_editor):
    User = apps.get_model("community", "User")
    User.objects.filter(email_digests=False).update(email_frequency="never")


def carry_back(apps, schema_editor):
    User = apps.get_model("community", "User")
    User.objects.filter(email_frequency="never").update(email_digests=False)


class Migration(migrations.Migration):
    dependencies = [
        ("community", "0007_commitment_unshare_audit_action"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_frequency",
            field=models.CharField(
                choices=[
                    ("immediately", "Straight away"),
                    ("daily", "Once a day"),
                    ("weekly", "Once a week"),
                    ("never", "Never"),
                ],
                default="immediately",
                help_text="Your usual choice: you can choose differently for a space or a "
                "thread. Anonymous authors are never named in emails.",
                max_length=12,
                verbose_name="email me about activity I follow",
            ),
        ),
        migrations.RunPython(carry_over, carry_back),
        migrations.RemoveField(model_name="user", name="email_digests"),
    ]
