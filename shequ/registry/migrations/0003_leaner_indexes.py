"""Fewer indexes to write: single-column indexes that a composite index already starts with go (the
resident's community becomes (community, id), which a list of one community reads in id order), as
does the unread (community, name) index, and name pieces become one tree keyed by (community, piece,
resident) — WITHOUT ROWID on SQLite. Django cannot turn a primary key into a composite one in place, so
the pieces' table is made anew and filled again from the residents' names."""

import django.db.models.deletion
from django.db import migrations, models

WITHOUT_ROWID = (
    'CREATE TABLE "registry_namegram" ("community_id" bigint NOT NULL, "gram" varchar(2) NOT NULL, '
    '"resident_id" bigint NOT NULL, PRIMARY KEY ("community_id", "gram", "resident_id")) WITHOUT ROWID'
)


def without_rowid(apps, schema_editor):
    # Django alone would make a rowid table plus a unique index: two trees per inserted piece.
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute('DROP TABLE "registry_namegram"')
        schema_editor.execute(WITHOUT_ROWID)


def refill(apps, schema_editor):
    from shequ.registry.pinyin import name_grams

    resident_model = apps.get_model("registry", "Resident")
    gram_model = apps.get_model("registry", "NameGram")
    batch = []
    for resident_id, community_id, name in resident_model.objects.values_list("id", "community_id", "name").iterator():
        batch.extend(gram_model(community_id=community_id, gram=gram, resident_id=resident_id)
                     for gram in name_grams(name))
        if len(batch) >= 5000:
            gram_model.objects.bulk_create(batch)
            batch = []
    gram_model.objects.bulk_create(batch)


class Migration(migrations.Migration):

    dependencies = [
        ('places', '0001_initial'),
        ('registry', '0002_importjob_previewing'),
    ]

    operations = [
        migrations.DeleteModel(name='NameGram'),
        migrations.CreateModel(
            name='NameGram',
            fields=[
                ('pk', models.CompositePrimaryKey('community_id', 'gram', 'resident_id', blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ('community_id', models.BigIntegerField()),
                ('gram', models.CharField(max_length=2)),
                ('resident', models.ForeignKey(db_constraint=False, db_index=False,
                                               on_delete=django.db.models.deletion.CASCADE, related_name='name_grams',
                                               to='registry.resident')),
            ],
        ),
        migrations.RunPython(without_rowid, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='household',
            name='community',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, to='places.community', verbose_name='社区'),
        ),
        migrations.AlterField(
            model_name='household',
            name='grid',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, to='places.grid', verbose_name='网格'),
        ),
        migrations.AlterField(
            model_name='resident',
            name='building',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='places.building', verbose_name='楼栋'),
        ),
        migrations.AlterField(
            model_name='resident',
            name='community',
            field=models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, to='places.community', verbose_name='社区'),
        ),
        migrations.AlterField(
            model_name='resident',
            name='grid',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='places.grid', verbose_name='网格'),
        ),
        # Names are searched through their pieces; nothing reads (community, name).
        migrations.RemoveIndex(model_name='resident', name='registry_re_communi_25a237_idx'),
        migrations.AddIndex(
            model_name='resident',
            index=models.Index(fields=['community', 'id'], name='registry_re_communi_e43246_idx'),
        ),
        migrations.RunPython(refill, migrations.RunPython.noop),
    ]
