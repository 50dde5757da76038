"""The support directory's first entries: staff change or add to them in the admin."""

from django.db import migrations

DEFAULTS = [
    (
        "Freedom to Speak Up guardian",
        "Speaking up about racism, discrimination or anything that worries you at work, in "
        "confidence, when you do not feel heard through your line manager.",
        "Every NHS organisation has a guardian: ask your organisation's intranet or HR team "
        "for their name. The National Guardian's Office lists them too.",
        "https://nationalguardian.org.uk/",
    ),
    (
        "Employee assistance programme",
        "Free, confidential counselling and advice for NHS staff, at any hour, about work or "
        "life outside it.",
        "Your organisation's occupational health or HR team gives the number; it is usually "
        "on the intranet's wellbeing pages.",
        "",
    ),
    (
        "Staff networks",
        "Colleagues who share your experience: race equality, BME and other staff networks "
        "offer peer support and can raise issues with leaders on your behalf.",
        "Ask your organisation's equality, diversity and inclusion team how to join your "
        "local network.",
        "",
    ),
    (
        "Samaritans",
        "Someone to listen, day or night, whatever you are going through.",
        "Call 116 123 (free, 24 hours), or email jo@samaritans.org.",
        "https://www.samaritans.org/",
    ),
    (
        "Shout",
        "Free, confidential support by text, 24 hours a day, if you are struggling to cope.",
        "Text SHOUT to 85258. NHS staff can text FRONTLINE to 85258.",
        "https://giveusashout.org/",
    ),
]


def seed(apps, schema_editor):
    SupportEntry = apps.get_model("community", "SupportEntry")
    if SupportEntry.objects.exists():
        return
    SupportEntry.objects.bulk_create(
        SupportEntry(name=name, purpose=purpose, how_to_reach=reach, link=link, position=i * 10)
        for i, (name, purpose, reach, link) in enumerate(DEFAULTS, start=1)
    )


class Migration(migrations.Migration):
    dependencies = [("community", "0011_support_directory")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
