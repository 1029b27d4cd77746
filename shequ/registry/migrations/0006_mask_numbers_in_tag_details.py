"""Tags written before their details were protected kept a number typed into them (an emergency contact's
phone, a certificate embedding an ID number) in plain text: the numbers are masked now and the whole
details sealed, as registry.protection.protect_tag_details does for a new tag."""

from django.db import migrations

BATCH = 1000


def protect(apps, schema_editor):
    from shequ.registry.protection import protect_tag_details

    tags = apps.get_model("registry", "ResidentTag").objects
    changed = []
    for tag in tags.filter(sensitive=False, details_enc="").exclude(details={}).only("id", "details").iterator(
            chunk_size=BATCH):
        shown, sealed = protect_tag_details(tag.details, sensitive=False)
        if sealed:
            tag.details, tag.details_enc = shown, sealed
            changed.append(tag)
        if len(changed) >= BATCH:
            tags.bulk_update(changed, ["details", "details_enc"])
            changed = []
    tags.bulk_update(changed, ["details", "details_enc"])


class Migration(migrations.Migration):

    dependencies = [("registry", "0005_exportjob")]

    operations = [migrations.RunPython(protect, migrations.RunPython.noop)]
