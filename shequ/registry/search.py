"""What a worker types into the one search box, turned into an indexed filter.

"王", "建国" → name pieces (NameGram); "zjg" → pinyin initials; "zhangjianguo" → full pinyin;
"5678" → last digits of a phone or ID number; "3号楼2单元" → address; a whole ID or mobile → exact hash.

Given the communities the caller will show (`community_ids`: the actor's scope), every kind is matched
as `id IN (subquery)`, the subquery answered from an index that starts with the community:
(community_id, gram, resident_id) for name pieces, (community_id, tail hash) for digits, (community_id,
initials) and (community_id, pinyin) for letters, the community's few buildings and entrances for an
address; "either of two" (last 4 digits of an ID or a phone, initials or pinyin) is a UNION of two index
lookups, not an OR that SQLite would answer by walking the community. SQLite keeps such a subquery's ids
sorted, so the keyset page (ORDER BY id LIMIT 51) and the bounded count read only the matches, with no
sort, instead of every resident of the scope (figures in docs/PERFORMANCE.md). The residents found are
the same as with plain joins: a name piece, a household, a building and an entrance always carry their
resident's community.
"""

import re
from dataclasses import dataclass

from django.db.models import Q

from shequ.core.identity import normalize_text
from shequ.places.models import Building, Entrance, Estate

from .models import Household, NameGram, Resident
from .pinyin import to_pinyin
from .protection import id_number_hash, id_tail_hash, phone_tail_hash

HAN = re.compile(r"^[\u3400-\u9fff·]+$")
ADDRESS = re.compile(r"(?:(?P<estate>[\u3400-\u9fff]+?)?(?P<building>\d+)\s*(?:号楼|栋|幢|号))?"
                     r"(?:(?P<entrance>\d+)\s*单元)?(?:(?P<room>\d+)\s*(?:室|号)?)?$")


@dataclass(frozen=True)
class ParsedQuery:
    kind: str  # name, initials, pinyin, tail, phone, id, address, none
    q: Q | None


def parse_query(raw, *, community_ids=None):
    """The kind of query and its filter on Resident. `community_ids`, if given, are the only communities
    whose residents the caller will show (it still applies its own scope filter); the match is then
    looked up within them only."""
    text = normalize_text(raw)
    if not text:
        return ParsedQuery("none", None)
    within = _Within(community_ids)
    if HAN.match(text):
        return ParsedQuery("name", _name_q(text, within))
    if re.fullmatch(r"\d{17}[\dX]", text):
        return ParsedQuery("id", within.ids(Q(id_number_hash=id_number_hash(text)), scoped=False))
    if re.fullmatch(r"1\d{10}", text):
        return ParsedQuery("phone", within.ids(Q(phone_hash=_phone_hash(text)), scoped=False))
    if re.fullmatch(r"\d{3,5}[\dX]", text) and len(text) in (4, 6):
        return ParsedQuery("tail", within.ids(*_tail_qs(text)))
    if re.fullmatch(r"[a-zA-Z]+", text):
        kind, alternatives = _pinyin_query(text.lower())
        return ParsedQuery(kind, within.ids(*alternatives))
    address = _address_q(text, within)
    if address is not None:
        return ParsedQuery("address", address)
    return ParsedQuery("name", Q(name__contains=text))


class _Within:
    """Builds the filters, limited to the caller's communities when it named them."""

    def __init__(self, community_ids):
        self.community_ids = None if community_ids is None else sorted(community_ids)

    def limit(self, queryset):
        return queryset if self.community_ids is None else queryset.filter(community_id__in=self.community_ids)

    def where(self, q):
        return q if self.community_ids is None else q & Q(community_id__in=self.community_ids)

    def ids(self, *alternatives, scoped=True):
        """Residents matching any of the alternatives: without communities a plain filter (an OR); with
        them `id IN (…)`, one index lookup per alternative (UNION), each within the communities unless the
        alternative is already a lookup of few rows (scoped=False: an exact ID or phone hash)."""
        if self.community_ids is None:
            q = Q()
            for alternative in alternatives:
                q |= alternative
            return q
        lookups = [Resident.objects.filter(self.where(a) if scoped else a).values("id") for a in alternatives]
        first, *rest = lookups
        return Q(id__in=first.union(*rest) if rest else first)


def _name_q(text, within):
    # A name piece of one or two characters is looked up as it is; a longer text is narrowed by its first
    # two characters, then matched whole.
    if within.community_ids is None:
        q = Q(name_grams__gram=text[:2])
    else:
        q = Q(id__in=NameGram.objects.filter(within.where(Q(gram=text[:2]))).values("resident_id"))
    return q if len(text) <= 2 else q & Q(name__contains=text)


def _phone_hash(mobile):
    from .protection import PHONE_CONTEXT, cipher

    return cipher().blind_index(mobile, context=PHONE_CONTEXT)


def _tail_qs(digits):
    """Last 6 characters of an ID number, or last 4 of an ID number or of a phone."""
    field, value = id_tail_hash(digits)
    alternatives = [Q(**{field: value})]
    if len(digits) == 4 and digits.isdigit():
        alternatives.append(Q(phone_tail4_hash=phone_tail_hash(digits)))
    return alternatives


def _prefix(field, text):
    # A range instead of LIKE 'x%': both SQLite and PostgreSQL answer it from the b-tree index.
    return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\x7f"})


def _pinyin_query(text):
    if len(text) <= 4:
        return "initials", [_prefix("name_initials", text), _prefix("name_pinyin", text)]
    return "pinyin", [_prefix("name_pinyin", text)]


def _address_q(text, within):
    """The resident's building by its number; the household's estate, entrance and room."""
    match = ADDRESS.match(text)
    if not match or not (match["building"] or match["entrance"]):
        return None
    if within.community_ids is None:
        q = Q()
        if match["estate"]:
            q &= Q(household__estate__name__contains=match["estate"])
        if match["building"]:
            q &= Q(building__number__in=_numbers(match["building"], "号楼"))
        if match["entrance"]:
            q &= Q(household__entrance__number__in=_numbers(match["entrance"], "单元"))
        if match["room"]:
            q &= Q(household__room=match["room"])
        return q
    # Within the caller's communities, from the narrowest place down: the entrances named (of the building
    # named) → their households → their members; without an entrance, the residents of the buildings named.
    # A household's entrance is in its building and a resident's building is the household's (services
    # check both), so these are the people the joins above find.
    households = Q()
    if match["estate"]:
        estates = Estate.objects.filter(within.where(Q(name__contains=match["estate"])))
        households &= Q(estate_id__in=estates.values("id"))
    if match["room"]:
        households &= Q(room=match["room"])
    if match["entrance"]:
        entrances = Entrance.objects.filter(within.where(Q(number__in=_numbers(match["entrance"], "单元"))))
        if match["building"]:
            entrances = entrances.filter(building__number__in=_numbers(match["building"], "号楼"))
        households &= Q(entrance_id__in=entrances.values("id"))
        residents = Q(household_id__in=Household.objects.filter(households).values("id"))
    else:
        buildings = Building.objects.filter(within.where(Q(number__in=_numbers(match["building"], "号楼"))))
        residents = Q(building_id__in=buildings.values("id"))
        if households:
            households &= Q(building_id__in=buildings.values("id"))
            residents &= Q(household_id__in=Household.objects.filter(within.where(households)).values("id"))
    return Q(id__in=Resident.objects.filter(residents).values("id"))


def _numbers(number, suffix):
    return [number, f"{number}{suffix}"]


def pinyin_of(name):
    return to_pinyin(name)
