"""Chinese identity data: resident ID numbers (GB 11643-1999) and phone numbers.

Everything here is pure Python so it can run inside imports of messy Excel
rosters, seed scripts and benchmarks without Django. The messages of its errors are
Chinese message ids, translated into the active language once Django is set up.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from django.apps import apps
from django.utils import translation

from shequ.core.i18n import gettext_noop
from shequ.core.memo import BoundedMemo


def gettext(message: str) -> str:
    """The message in the active language (an import's rows are checked in Chinese, the language of the files
    it writes); the Chinese message itself where Django is not set up (scripts, benchmarks)."""
    return translation.gettext(message) if apps.ready else message


# --------------------------------------------------------------------------
# Text clean-up
# --------------------------------------------------------------------------

_FULL_WIDTH_FIRST = 0xFF01  # '！'
_FULL_WIDTH_LAST = 0xFF5E  # '～'
_FULL_TO_HALF_OFFSET = 0xFEE0
_IDEOGRAPHIC_SPACE = "\u3000"

# Excel cells copied from web pages or WeChat often carry invisible characters
# that str.isspace() does not recognise, so they are removed explicitly.
_INVISIBLE_CHARS = {"\u200b", "\u200c", "\u200d", "\u2060", "\ufeff"}


# Full-width forms '！'..'～' become their ASCII twins and the ideographic space a space; invisible
# characters go. One str.translate table, because imports normalise every cell of a million rows.
_NORMALIZE_TABLE = {code: code - _FULL_TO_HALF_OFFSET for code in range(_FULL_WIDTH_FIRST, _FULL_WIDTH_LAST + 1)}
_NORMALIZE_TABLE[ord(_IDEOGRAPHIC_SPACE)] = ord(" ")
_NORMALIZE_TABLE.update({ord(char): None for char in _INVISIBLE_CHARS})
# Most cells need none of it: one regular-expression scan decides, cheaper than translating every cell.
_NEEDS_NORMALIZING = re.compile(r"[\s\uff01-\uff5e\u3000\u200b\u200c\u200d\u2060\ufeff]")


def normalize_text(value: object) -> str:
    """Half-width, whitespace-free text with a trailing 'x' upper-cased.

    '１１０１０５ １９４９１２３１００２ｘ' -> '11010519491231002X'.
    """
    if value is None:
        return ""
    text = value if value.__class__ is str else str(value)
    # Plain digits and letters (an ID number, a phone, a 户号) need no scan: telling so costs a fifth of one.
    if not (text.isascii() and text.isalnum()) and _NEEDS_NORMALIZING.search(text) is not None:
        # str.split() without arguments splits on exactly the characters str.isspace() accepts.
        text = "".join(text.translate(_NORMALIZE_TABLE).split())
    if text.endswith("x"):
        text = text[:-1] + "X"
    return text


# --------------------------------------------------------------------------
# Resident ID numbers
# --------------------------------------------------------------------------


class IdNumberError(ValueError):
    """Invalid resident ID number; str(error) is a message for the user, in the active language."""


# IdNumberPrecisionLost's message in Chinese: an import, whose rows are checked in Chinese, counts those rows by it.
PRECISION_LOST_MESSAGE = gettext_noop("身份证号以数字或科学计数法存储，已丢失精度，请将该列设为文本后重新导入")


class IdNumberPrecisionLost(IdNumberError):
    """The number went through Excel as a float, so its last digits are gone."""

    def __init__(self) -> None:
        super().__init__(gettext(PRECISION_LOST_MESSAGE))


class IdInfo(NamedTuple):
    # A tuple rather than a frozen dataclass: an import builds one per row, and this is several times cheaper.
    number: str
    birth_date: date
    sex: str  # 'M' or 'F'
    region_code: str
    converted_from_15: bool


_CHECK_CHARS = "10X98765432"  # indexed by (weighted sum mod 11), ISO 7064 MOD 11-2
# The weights of ISO 7064 MOD 11-2 (7, 9, 10, 5, 8, ... 2) are 2 to the power 17, 16, ... 1, mod 11. As 13 ≡ 2
# (mod 11), the 17 digits read as a number in base 13 are, mod 11, half the weighted sum: int() in C sums them,
# five times quicker than 17 multiplications in Python (a million-row import checks a million).
_CHECK_BASE = 13

# Province-level codes; 91 covers numbers issued to residents abroad under the
# legacy scheme, which still appear in old household registers.
_PROVINCE_CODES = frozenset(
    [*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55), *range(61, 66)]
    + [71, 81, 82, 83, 91]
)

_ODD_DIGITS = frozenset("13579")
_EARLIEST_BIRTH_YEAR = 1900
_SEQUENCE_PER_SEX = 500  # 3-digit order code, odd for men and even for women

# Excel turns long digit strings into floats: '1.10105199003071E+17' or '110105199003071000.0'.
_NUMBER_AS_FLOAT = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+(\.\d*)?E[+-]?\d+)$", re.IGNORECASE)
_ID_CHARS = re.compile(r"^[0-9X]*$")
_ID_18 = re.compile(r"^\d{17}[\dX]$")
_ID_15 = re.compile(r"^\d{15}$")
_CLEAN_ID_18 = re.compile(r"[0-9]{17}[0-9X]")  # ASCII only, nothing around it: needs no normalising


def compute_check_char(first_17: str) -> str:
    if len(first_17) != 17 or not (first_17.isascii() and first_17.isdigit()):
        raise ValueError("compute_check_char needs the first 17 characters")
    return _check_char(first_17)


def _check_char(first_17: str) -> str:
    """The check character of 17 ASCII digits (the callers have made sure of them)."""
    return _CHECK_CHARS[2 * int(first_17, _CHECK_BASE) % 11]


def _text_from_raw(raw: str | int | float) -> str:
    # bool is an int subclass, but True is never an ID number.
    if isinstance(raw, bool):
        raise IdNumberError(gettext("身份证号含非法字符"))
    if isinstance(raw, float):
        raise IdNumberPrecisionLost()
    text = normalize_text(raw)
    if _NUMBER_AS_FLOAT.match(text):
        raise IdNumberPrecisionLost()
    return text


def _check_shape(text: str) -> None:
    if not text:
        raise IdNumberError(gettext("身份证号不能为空"))
    if not _ID_CHARS.match(text):
        raise IdNumberError(gettext("身份证号含非法字符"))
    if len(text) not in (15, 18):
        raise IdNumberError(gettext("身份证号应为18位（或旧版15位）"))
    if not (_ID_18.match(text) or _ID_15.match(text)):
        # Right length, but an 'X' somewhere other than the final position.
        raise IdNumberError(gettext("身份证号含非法字符"))


def _is_valid_region(region_code: str) -> bool:
    return (
        len(region_code) == 6
        and region_code.isdigit()
        and int(region_code[:2]) in _PROVINCE_CODES
        and region_code[2:] != "0000"
    )


# Region codes are a few thousand: an import of a million numbers asks for each many times.
_REGION_IS_VALID = BoundedMemo(_is_valid_region, 20_000)


def _check_region(region_code: str) -> None:
    if not _REGION_IS_VALID[region_code]:
        raise IdNumberError(gettext("身份证号地区码无效"))


def _parse_birth_date(yyyymmdd: str, today: date) -> date:
    try:
        birth = date.fromisoformat(yyyymmdd)  # eight digits (checked before), ISO basic form: a third of date(int(…), …)
    except ValueError:
        raise IdNumberError(gettext("身份证号出生日期无效")) from None
    if birth.year < _EARLIEST_BIRTH_YEAR or birth > today:
        raise IdNumberError(gettext("身份证号出生日期无效"))
    return birth


def _upgrade_15_to_17(text: str) -> str:
    # Legacy numbers omit the century; all were issued to people born in the 1900s.
    return text[:6] + "19" + text[6:]


def parse_id_number(raw: str | int | float, *, today: date | None = None) -> IdInfo:
    """Validate a resident ID number and return what it encodes.

    Raises IdNumberError (or IdNumberPrecisionLost) with a message in the active language.
    `today` exists so tests can pin the "birth date in the future" check.
    """
    if raw.__class__ is str and _CLEAN_ID_18.fullmatch(raw):
        text = raw  # already clean: what the usual roster cell and form field hold
    else:
        text = _text_from_raw(raw)
        _check_shape(text)
    converted_from_15 = len(text) == 15
    first_17 = _upgrade_15_to_17(text) if converted_from_15 else text[:17]

    _check_region(first_17[:6])
    birth = _parse_birth_date(first_17[6:14], today or date.today())
    expected_check = _check_char(first_17)
    if not converted_from_15 and text[17] != expected_check:
        raise IdNumberError(gettext("身份证号校验码错误，应为 %(check)s") % {"check": expected_check})

    # Positional: an import builds a million.
    return IdInfo(first_17 + expected_check if converted_from_15 else text, birth,
                  "M" if first_17[16] in _ODD_DIGITS else "F", first_17[:6], converted_from_15)


def make_id_number(region_code: str, birth: date, seq: int, male: bool) -> str:
    """Build a valid 18-character ID number for seed data and benchmarks.

    `seq` (0-499) numbers the people of one sex born on the same day in the
    same region, so every (region, birth, seq, male) gives a distinct number.
    """
    if not _is_valid_region(region_code):
        raise ValueError(f"地区码无效：{region_code}")
    if not 0 <= seq < _SEQUENCE_PER_SEX:
        raise ValueError(f"顺序号应在 0 到 {_SEQUENCE_PER_SEX - 1} 之间")
    if birth.year < _EARLIEST_BIRTH_YEAR:
        raise ValueError("出生年份不能早于1900年")
    order_code = seq * 2 + (1 if male else 0)
    first_17 = f"{region_code}{birth:%Y%m%d}{order_code:03d}"
    return first_17 + compute_check_char(first_17)


def mask_id_number(number: str) -> str:
    """'11010519491231002X' -> '110***********002X'."""
    text = str(number or "")
    if len(text) <= 7:
        # Too short to show both ends without revealing most of it.
        return "*" * len(text)
    return text[:3] + "*" * (len(text) - 7) + text[-4:]


def age_on(birth: date, today: date) -> int:
    """Full years (周岁) reached on `today`."""
    birthday_not_yet_reached = (today.month, today.day) < (birth.month, birth.day)
    return today.year - birth.year - (1 if birthday_not_yet_reached else 0)


# --------------------------------------------------------------------------
# Phone numbers
# --------------------------------------------------------------------------


class PhoneError(ValueError):
    """Invalid phone number; str(error) is a message for the user, in the active language."""


# Matched whole (fullmatch), in ASCII digits: \d would take other scripts' digits too.
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
# Optional area code (010, 0571 ...; never 00) followed by a 7-8 digit local number.
_LANDLINE = re.compile(r"(0[1-9][0-9]{1,2})?[1-9][0-9]{6,7}")
_SEPARATORS = re.compile(r"[-‐‑–—()]")
_COUNTRY_PREFIXES = ("+86", "0086", "86")


def _phone_digits(raw: object) -> str:
    # Excel keeps 11-digit numbers exactly as floats, e.g. 13812345678.0.
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    return _SEPARATORS.sub("", normalize_text(raw))


def _strip_country_code(digits: str) -> str:
    for prefix in _COUNTRY_PREFIXES:
        rest = digits[len(prefix) :]
        if digits.startswith(prefix) and _MOBILE.fullmatch(rest):
            return rest
    return digits


def _mobile_digits(raw: object) -> str | None:
    if raw.__class__ is str and _MOBILE.fullmatch(raw):
        return raw  # already clean: what the usual roster cell and form field hold
    digits = _strip_country_code(_phone_digits(raw))
    return digits if _MOBILE.fullmatch(digits) else None


def validate_mobile(raw: object) -> str:
    """Return the 11-digit mobile number or raise PhoneError."""
    digits = _mobile_digits(raw)
    if digits is None:
        raise PhoneError(gettext("手机号应为以1开头的11位数字"))
    return digits


def normalize_phone(raw: object) -> str:
    """Return the digits of a mobile or landline number or raise PhoneError."""
    mobile = _mobile_digits(raw)
    if mobile is not None:
        return mobile  # a landline is no error: its message is not built
    digits = _phone_digits(raw)
    if not _LANDLINE.fullmatch(digits):
        raise PhoneError(gettext("电话号码格式不正确"))
    return digits


def mask_phone(phone: str) -> str:
    """Mobile '13812345678' -> '138****5678'; landline keeps only the last 4 digits."""
    # A stored mobile is already 11 plain digits; only other input needs cleaning first.
    plain = phone.__class__ is str and len(phone) == 11 and phone.isascii() and phone.isdigit()
    digits = phone if plain else _strip_country_code(_phone_digits(phone))
    if _MOBILE.fullmatch(digits):
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
