"""Full pinyin and initials of a name, one character at a time with a cache: names reuse few
characters, so a million-row import converts each character once."""

from pypinyin import Style, lazy_pinyin

from shequ.core.memo import BoundedMemo

# Surnames whose reading differs from the character's most common one.
SURNAME_READINGS = {"曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao",
                    "黑": "he", "盖": "ge", "乐": "yue", "尉": "yu", "万俟": "moqi", "长孙": "zhangsun",
                    "覃": "qin", "缪": "miao", "翟": "zhai", "召": "shao", "员": "yun", "柏": "bai"}


def _char_pinyin(char):
    syllables = lazy_pinyin(char, style=Style.NORMAL, errors="ignore")
    return syllables[0] if syllables else ""


# Each character's reading, looked up by pypinyin once ("·" has none).
_CHAR_READINGS = BoundedMemo(_char_pinyin, 65536, {"·": ""})


def to_pinyin(name):
    """(full, initials) for a name, e.g. 张建国 → ("zhangjianguo", "zjg"); the middle dot is skipped."""
    return _NAME_READINGS[name]


def _name_pinyin(name):
    syllables = []
    rest = name
    # Surnames are one or two characters; look both up instead of trying every entry.
    for surname in (name[:2], name[:1]):
        reading = SURNAME_READINGS.get(surname) if surname else None
        if reading:
            syllables.append(reading)
            rest = name[len(surname):]
            break
    readings = _CHAR_READINGS
    for char in rest:
        if reading := readings[char]:
            syllables.append(reading)
    return "".join(syllables), "".join([s[0] for s in syllables])


# A roster repeats names a great deal: a third of a million-row roster's names are new, where an lru_cache's
# bookkeeping cost more than it saved.
_NAME_READINGS = BoundedMemo(_name_pinyin, 1 << 17)


def name_grams(name):
    """The distinct pieces of a name: the two characters from each position, the last position giving the final
    character alone ("张建国" → 张建, 建国, 国). Two characters are found as a piece; one character as the start of
    a piece (search.py: a range of the index), which every occurrence of it is, the final one as the piece of
    itself. A one-character piece for every position as well would add two pieces to a three-character name."""
    chars = name.replace("·", "")
    return {chars[i:i + 2] for i in range(len(chars))}


# name_grams() in SQLite's SQL, to cut many stored names at once without carrying every piece through
# Python: {names} is a query of (id, community_id, name), {positions} a table of the numbers from 1 to the longest
# name's length as its integer key `at`, which each name joins up to its own length (a range of that key; a recursive
# query, passing every piece through its queue, took five times as long). Duplicates are left to the key (INSERT OR
# IGNORE). A test holds it to name_grams() on awkward names.
SQLITE_NAME_GRAMS = """SELECT community_id, substr(plain, at, 2), id
FROM (SELECT id, community_id, replace(name, '·', '') AS plain FROM ({names})) CROSS JOIN {positions}
WHERE at <= length(plain)"""
