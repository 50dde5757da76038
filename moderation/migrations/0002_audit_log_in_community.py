from django.db import migrations


class Migration(migrations.Migration):
    """The audit log's model now belongs to community core; its table and rows stay as they are."""

    dependencies = [
        ("moderation", "0001_initial"),
        ("community", "0005_audit_log_in_community"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
        ),
    ]
