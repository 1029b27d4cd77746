"""Name pieces become the two characters from each position (the last one alone): a one-character search is a
range of the pieces starting with it (pinyin.name_grams, search._name). The one-character pieces of the other
positions are dropped; the last character's is kept, as it was already stored.

The range compares pieces by code point. SQLite compares text byte by byte (UTF-8 keeps code point order); on
PostgreSQL the column takes the "C" collation, whatever the database's own (zh_CN.UTF-8 would order 王 among
its pinyin). Django's db_collation is not used for it: SQLite has no collation of that name."""

from django.db import migrations

# The final character of a stored name, as pinyin.name_grams cuts it (middle dots left out).
_FINAL = "substr(replace(r.name, '·', ''), length(replace(r.name, '·', '')), 1)"

DROP_INNER_SINGLES = f"""DELETE FROM registry_namegram WHERE length(gram) = 1 AND gram <> (
    SELECT {_FINAL} FROM registry_resident r WHERE r.id = registry_namegram.resident_id)"""

ADD_INNER_SINGLES = """INSERT INTO registry_namegram (community_id, gram, resident_id)
WITH RECURSIVE piece(id, community_id, plain, at) AS (
    SELECT id, community_id, replace(name, '·', ''), 1 FROM registry_resident
    UNION ALL SELECT id, community_id, plain, at + 1 FROM piece WHERE at < length(plain))
SELECT DISTINCT community_id, substr(plain, at, 1), id FROM piece WHERE plain != '' AND at < length(plain)
    AND NOT EXISTS (SELECT 1 FROM registry_namegram g WHERE g.community_id = piece.community_id
                    AND g.gram = substr(piece.plain, piece.at, 1) AND g.resident_id = piece.id)"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE registry_namegram ALTER COLUMN gram TYPE varchar(2) COLLATE "C"')
    schema_editor.execute(DROP_INNER_SINGLES)


def backwards(apps, schema_editor):
    schema_editor.execute(ADD_INNER_SINGLES)
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute('ALTER TABLE registry_namegram ALTER COLUMN gram TYPE varchar(2) COLLATE "default"')


class Migration(migrations.Migration):

    dependencies = [
        ('registry', '0010_tail_indexes_carry_compared_hash'),
    ]

    operations = [
        migrations.RunPython(forwards, backwards),
    ]
