"""Residents' notes keep their numbers masked and the whole text sealed (registry.protection.protect_notes);
notes written before are protected the same way here."""

from django.db import migrations, models

BATCH = 1000


def protect(apps, schema_editor):
    from shequ.registry.protection import protect_notes

    residents = apps.get_model("registry", "Resident").objects
    changed = []
    for resident in residents.exclude(notes="").only("id", "notes").iterator(chunk_size=BATCH):
        protected = protect_notes(resident.notes)
        if protected["notes_enc"]:
            resident.notes, resident.notes_enc = protected["notes"], protected["notes_enc"]
            changed.append(resident)
        if len(changed) >= BATCH:
            residents.bulk_update(changed, ["notes", "notes_enc"])
            changed = []
    residents.bulk_update(changed, ["notes", "notes_enc"])


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0006_mask_numbers_in_tag_details"),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="notes_enc",
            field=models.TextField(blank=True),
        ),
        migrations.RunPython(protect, migrations.RunPython.noop),
    ]
