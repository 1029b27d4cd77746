"""What a worker types into the one search box, turned into an indexed filter.

"王", "建国" → name pieces (NameGram); "zjg" → pinyin initials; "zhangjianguo" → full pinyin;
"5678" → last digits of a phone or ID number; "3号楼2单元" → address; a whole ID or mobile → exact hash.
"""

import re
from dataclasses import dataclass

from django.db.models import Q

from shequ.core.identity import normalize_text

from .pinyin import to_pinyin
from .protection import id_number_hash, id_tail_hash, phone_tail_hash

HAN = re.compile(r"^[\u3400-\u9fff·]+$")
ADDRESS = re.compile(r"(?:(?P<estate>[\u3400-\u9fff]+?)?(?P<building>\d+)\s*(?:号楼|栋|幢|号))?"
                     r"(?:(?P<entrance>\d+)\s*单元)?(?:(?P<room>\d+)\s*(?:室|号)?)?$")


@dataclass(frozen=True)
class ParsedQuery:
    kind: str  # name, initials, pinyin, tail, phone, id, address, none
    q: Q | None


def parse_query(raw):
    text = normalize_text(raw)
    if not text:
        return ParsedQuery("none", None)
    if HAN.match(text):
        return ParsedQuery("name", _name_q(text))
    if re.fullmatch(r"\d{17}[\dX]", text):
        return ParsedQuery("id", Q(id_number_hash=id_number_hash(text)))
    if re.fullmatch(r"1\d{10}", text):
        return ParsedQuery("phone", Q(phone_hash=_phone_hash(text)))
    if re.fullmatch(r"\d{3,5}[\dX]", text) and len(text) in (4, 6):
        return ParsedQuery("tail", _tail_q(text))
    if re.fullmatch(r"[a-zA-Z]+", text):
        return _pinyin_query(text.lower())
    address = _address_q(text)
    if address is not None:
        return ParsedQuery("address", address)
    return ParsedQuery("name", Q(name__contains=text))


def _name_q(text):
    if len(text) <= 2:
        return Q(name_grams__gram=text)
    # Longer than any stored piece: narrow by its first two characters, then match the whole.
    return Q(name_grams__gram=text[:2], name__contains=text)


def _phone_hash(mobile):
    from .protection import PHONE_CONTEXT, cipher

    return cipher().blind_index(mobile, context=PHONE_CONTEXT)


def _tail_q(digits):
    field, value = id_tail_hash(digits)
    q = Q(**{field: value})
    if len(digits) == 4 and digits.isdigit():
        q |= Q(phone_tail4_hash=phone_tail_hash(digits))
    return q


def _prefix(field, text):
    # A range instead of LIKE 'x%': both SQLite and PostgreSQL answer it from the b-tree index.
    return Q(**{f"{field}__gte": text, f"{field}__lt": text + "\x7f"})


def _pinyin_query(text):
    if len(text) <= 4:
        return ParsedQuery("initials", _prefix("name_initials", text) | _prefix("name_pinyin", text))
    return ParsedQuery("pinyin", _prefix("name_pinyin", text))


def _address_q(text):
    match = ADDRESS.match(text)
    if not match or not (match["building"] or match["entrance"]):
        return None
    q = Q()
    if match["estate"]:
        q &= Q(household__estate__name__contains=match["estate"])
    if match["building"]:
        q &= Q(building__number__in=[match["building"], f"{match['building']}号楼"])
    if match["entrance"]:
        q &= Q(household__entrance__number__in=[match["entrance"], f"{match['entrance']}单元"])
    if match["room"]:
        q &= Q(household__room=match["room"])
    return q


def pinyin_of(name):
    return to_pinyin(name)
