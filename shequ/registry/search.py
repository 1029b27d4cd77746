"""What a worker types into the one search box, turned into an indexed condition on registry_resident.

"王", "建国" → name pieces (NameGram), and an estate's residents where it is in the estate's name ("和平家园");
"zjg" → pinyin initials; "zhangjianguo" → full pinyin;
"5678" → last digits of a phone or ID number; "3号楼2单元" → address; a whole ID or mobile → exact hash (a
mobile's through the index of its last four digits, as the last six of an ID number are).

Within the communities the caller will show (`community_ids`: the actor's scope), every kind is matched as `id
IN (subquery)`, the subquery answered from an index that starts with the community: (community_id, gram,
resident_id) for name pieces, (community_id, last four's hash, the whole mobile's or last six's hash) for
digits, (community_id, initials) and (community_id, pinyin) for letters, the community's few buildings and
entrances for an address; "either of two" (last 4 digits of an ID or a phone, initials or pinyin) is a UNION
of two index lookups, not an OR that SQLite would answer by walking the community. SQLite keeps such a
subquery's ids sorted, so the keyset page (ORDER BY id LIMIT 51) and the bounded count read only the matches,
with no sort, instead of every resident of the scope, probing the resident's (community_id, id) index (figures
in docs/PERFORMANCE.md). The residents found are the same as with plain joins: a name piece, a household, a
building and an entrance always carry their resident's community.

The condition is SQL text and its parameters, written here rather than built as ORM querysets: building
and compiling those took several times longer than the database took to answer them. It uses only what
SQLite and PostgreSQL share, and the backend's own LIKE.
"""

import re
from dataclasses import dataclass

from django.db import connection

from shequ.core.identity import normalize_text

from .protection import id_number_hash, id_tail_hash, phone_hash, phone_tail_hash

HAN = re.compile(r"^[\u3400-\u9fff·]+$")
ADDRESS = re.compile(r"(?:(?P<estate>[\u3400-\u9fff]+?)?(?P<building>\d+)\s*(?:号楼|栋|幢|号))?"
                     r"(?:(?P<entrance>\d+)\s*单元)?(?:(?P<room>\d+)\s*(?:室|号)?)?$")


@dataclass(frozen=True)
class ParsedQuery:
    kind: str  # name, initials, pinyin, tail, phone, id, address, none; number (households only)
    condition: tuple | None  # (SQL on registry_resident, parameters); None matches everyone


def parse_query(raw, *, community_ids):
    """The kind of query and its condition, looked up only within `community_ids` (not empty): the
    communities whose residents the caller will show. The caller still applies its own scope."""
    text = normalize_text(raw)
    if not text:
        return ParsedQuery("none", None)
    within = _in("community_id", sorted(community_ids))
    if HAN.match(text):
        return ParsedQuery("name", _name_or_estate(text, within, community_ids))
    if re.fullmatch(r"\d{17}[\dX]", text):
        return ParsedQuery("id", _ids(("id_number_hash = %s", [id_number_hash(text)])))
    if re.fullmatch(r"1\d{10}", text):
        return ParsedQuery("phone", _ids(("phone_tail4_hash = %s AND phone_hash = %s",
                                          [phone_tail_hash(text), phone_hash(text)]), within=within))
    if re.fullmatch(r"\d{3,5}[\dX]", text) and len(text) in (4, 6):
        return ParsedQuery("tail", _ids(*_tails(text), within=within))
    if re.fullmatch(r"[a-zA-Z]+", text):
        kind, alternatives = _pinyin_query(text.lower())
        return ParsedQuery(kind, _ids(*alternatives, within=within))
    address = _address(text, within)
    if address is not None:
        return ParsedQuery("address", address)
    return ParsedQuery("name", _contains("registry_resident.name", text))


def parse_household_query(raw, *, community_ids):
    """The households list's search: a household number (from its start, "H0001" finds H00012345) or anything
    parse_query finds a resident by, matching the households of those residents (moved-out members included, so
    that a household is found by a former member too). A condition on registry_household; both halves are index
    lookups within `community_ids` (the unique (community, number) index, and the resident's as in parse_query)."""
    parsed = parse_query(raw, community_ids=community_ids)
    if parsed.condition is None:
        return parsed
    text = normalize_text(raw)
    within = _in("community_id", sorted(community_ids))
    numbers = and_(within, _prefix("number", text))
    selects, kind = [(f"SELECT id FROM registry_household WHERE {numbers[0]}", numbers[1])], "number"  # noqa: S608
    # Text that is no name, digits, letters or address ("H00012"), which parse_query would look for anywhere in
    # the names of every resident within, is taken for a household number only.
    if parsed.kind != "name" or HAN.match(text):
        members = and_(within, parsed.condition)
        selects.insert(0, (f"SELECT household_id FROM registry_resident WHERE {members[0]}", members[1]))  # noqa: S608
        kind = parsed.kind
    union = " UNION ".join(sql for sql, _ in selects)
    return ParsedQuery(kind, (f"registry_household.id IN ({union})", [p for _, params in selects for p in params]))


# A condition is a pair: SQL text, and the list of its parameters.


def and_(*conditions):
    """The conditions given (empty ones left out) joined by AND."""
    present = [c for c in conditions if c and c[0]]
    return " AND ".join(sql for sql, _ in present), [p for _, params in present for p in params]


def _in(column, values):
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _in_select(column, table, *conditions, select="id"):
    where, params = and_(*conditions)
    return f"{column} IN (SELECT {select} FROM {table} WHERE {where})", params


def _ids(*alternatives, within=None):
    """Residents matching any of the alternatives: `id IN (…)`, one index lookup per alternative joined by
    UNION, each within the communities unless it is already a lookup of few rows (an exact ID number's
    hash, given without `within`)."""
    selects = [and_(alternative, within) for alternative in alternatives]
    union = " UNION ".join(f"SELECT id FROM registry_resident WHERE {where}" for where, _ in selects)
    return f"registry_resident.id IN ({union})", [p for _, params in selects for p in params]


def _contains(column, text):
    pattern = f"%{connection.ops.prep_for_like_query(text)}%"
    return f"{column} {connection.operators['contains'] % '%s'}", [pattern]


def _name(text, within):
    # Two characters are a name piece; one character starts the pieces it is in (pinyin.name_grams), a range
    # of the same index (the piece is compared by code point: migration 0011 on PostgreSQL); a longer text is
    # narrowed by its first two characters, then matched whole.
    piece = ("gram >= %s AND gram < %s", [text, chr(ord(text) + 1)]) if len(text) == 1 else ("gram = %s", [text[:2]])
    pieces = _in_select("registry_resident.id", "registry_namegram", piece, within, select="resident_id")
    return and_(pieces, _contains("registry_resident.name", text) if len(text) > 2 else None)


def _name_or_estate(text, within, community_ids):
    """Names as _name finds them, and, where the text is in the name of an estate within ("和平家园" is a place,
    not a person), that estate's residents as well: one small look-up of the communities' estates first."""
    names = _name(text, within)
    estates = _estates(text, community_ids) if len(text) >= 2 else []
    if not estates:
        return names
    residents = _in_select("household_id", "registry_household", _in("estate_id", estates))
    union = (f"SELECT id FROM registry_resident WHERE {names[0]} "  # noqa: S608
             f"UNION SELECT id FROM registry_resident WHERE {residents[0]}")
    return f"registry_resident.id IN ({union})", [*names[1], *residents[1]]


def _estates(text, community_ids):
    where, params = and_(_in("community_id", sorted(community_ids)), _contains("name", text))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM places_estate WHERE {where}", params)  # noqa: S608
        return [row[0] for row in cursor.fetchall()]


def _tails(digits):
    """Last 6 characters of an ID number (found in the last 4's index, which carries the 6's hash), or last 4
    of an ID number or of a phone."""
    id_last_four = ("id_tail4_hash = %s", [id_tail_hash(digits, 4)])
    if len(digits) == 6:
        return [and_(id_last_four, ("id_tail6_hash = %s", [id_tail_hash(digits, 6)]))]
    if not digits.isdigit():  # ends in X: an ID number's only
        return [id_last_four]
    return [id_last_four, ("phone_tail4_hash = %s", [phone_tail_hash(digits)])]


def _prefix(column, text):
    # A range instead of LIKE 'x%': both SQLite and PostgreSQL answer it from the b-tree index.
    return f"{column} >= %s AND {column} < %s", [text, text + "\x7f"]


def _pinyin_query(text):
    if len(text) <= 4:
        return "initials", [_prefix("name_initials", text), _prefix("name_pinyin", text)]
    return "pinyin", [_prefix("name_pinyin", text)]


def _address(text, within):
    """The resident's building by its number; the household's estate, entrance and room. Looked up from the
    narrowest place down: the entrances named (of the buildings named) → their households → their members;
    without an entrance, the residents of the buildings named. A household's entrance is in its building
    and a resident's building is the household's (services check both), so these are the people that
    joins from the resident to its places would find."""
    match = ADDRESS.match(text)
    if not match or not (match["building"] or match["entrance"]):
        return None
    buildings = match["building"] and _in_select(
        "building_id", "places_building", _in("number", _numbers(match["building"], "号楼")), within)
    households = and_(
        match["estate"] and _in_select("estate_id", "places_estate", _contains("name", match["estate"]), within),
        match["room"] and ("room = %s", [match["room"]]),
    )
    if match["entrance"]:
        entrances = _in_select("entrance_id", "places_entrance",
                               _in("number", _numbers(match["entrance"], "单元")), within, buildings)
        residents = _in_select("household_id", "registry_household", households, entrances)
    else:
        residents = buildings
        if households[0]:  # an estate or a room as well: only the households there
            residents = and_(buildings, _in_select("household_id", "registry_household", households, buildings,
                                                   within))
    return _in_select("registry_resident.id", "registry_resident", residents)


def _numbers(number, suffix):
    return [number, f"{number}{suffix}"]
