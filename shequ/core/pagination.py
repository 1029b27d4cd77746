def keyset_page(queryset, limit):
    """One page of an id-ordered queryset and the id to continue from (None on the last page).
    Reads limit + 1 rows: no COUNT and no OFFSET, however large the table."""
    rows = list(queryset[: limit + 1])
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)
