"""What the database needs told after a bulk write."""

from django.db import connection

# Rows SQLite reads per index to estimate it: enough to tell "a few residents per value" from "every
# resident", and a few milliseconds even on a million-row table.
SQLITE_ANALYSIS_LIMIT = 1000


def refresh_planner_statistics(*models):
    """Gather the query planner's statistics for the models' tables, after a write that changed their size
    many times over (an import, demo data). Without them SQLite guesses that `community_id IN (…all of a
    street…)` is selective, reads a whole street's residents through that index and sorts them to show
    the first 50, where walking the table in id order stops after 50; PostgreSQL's autovacuum would
    gather them only some time later."""
    tables = [connection.ops.quote_name(model._meta.db_table) for model in models]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit = {SQLITE_ANALYSIS_LIMIT}")
            for table in tables:
                cursor.execute(f"ANALYZE {table}")
        else:
            cursor.execute(f"ANALYZE {', '.join(tables)}")
