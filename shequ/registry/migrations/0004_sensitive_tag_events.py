"""Tag events written before the audit trail could mark them sensitive: those about a sensitive tag are
marked now, so that they leave the lists of readers without the grant."""

from django.db import migrations

TAG_VERBS = ["tag_add", "tag_end", "tag_reveal"]
# As in registry.choices.SENSITIVE_TAGS when this migration was written.
SENSITIVE_KINDS = ["health", "resettlement", "drug_rehab"]


def mark(apps, schema_editor):
    events = apps.get_model("audit", "AuditEvent").objects
    events.filter(verb__in=TAG_VERBS, details__kind__in=SENSITIVE_KINDS).update(sensitive=True)


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_auditevent_sensitive"),
        ("registry", "0003_leaner_indexes"),
    ]

    operations = [migrations.RunPython(mark, migrations.RunPython.noop)]
