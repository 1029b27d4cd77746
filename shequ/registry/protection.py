"""Sensitive values in and out of the database: encrypted token, keyed hashes, masked copy."""

import json
import re

from shequ.core.crypto import FieldCipher
from shequ.core.identity import mask_id_number, mask_phone

ID_CONTEXT = "resident.id_number"
PHONE_CONTEXT = "resident.phone"
HOUSEHOLD_PHONE_CONTEXT = "household.phone"
TAG_CONTEXT = "resident_tag.details"
NOTES_CONTEXT = "resident.notes"


def cipher():
    return FieldCipher.from_settings()


# The stored columns of an ID number and of a resident's phone, in the order of the tuples below, which an import
# builds a million at a time (a dict each costs it about a second).
ID_NUMBER_COLUMNS = ("id_number_enc", "id_number_hash", "id_tail4_hash", "id_tail6_hash", "id_number_masked")
PHONE_COLUMNS = ("phone_enc", "phone_hash", "phone_tail4_hash", "phone_masked")


def protect_id_number(number):
    """Column values for a validated 18-character ID number (or blanks for none)."""
    return dict(zip(ID_NUMBER_COLUMNS, id_number_columns(number), strict=True))


def id_number_columns(number):
    """protect_id_number's values as a tuple, in ID_NUMBER_COLUMNS order."""
    if not number:
        return ("",) * len(ID_NUMBER_COLUMNS)
    c = cipher()
    return (
        c.encrypt(number, context=ID_CONTEXT),
        c.blind_index(number, context=ID_CONTEXT),
        c.tail_index(number, 4, context=ID_CONTEXT),
        c.tail_index(number, 6, context=ID_CONTEXT),
        mask_id_number(number),
    )


def protect_phone(phone, *, context=PHONE_CONTEXT, with_tail=True):
    values = dict(zip(PHONE_COLUMNS, phone_columns(phone, context=context, with_tail=with_tail), strict=True))
    if not with_tail:
        del values["phone_tail4_hash"]
    return values


def phone_columns(phone, *, context=PHONE_CONTEXT, with_tail=True):
    """protect_phone's values as a tuple, in PHONE_COLUMNS order (the tail's blind index "" without with_tail)."""
    if not phone:
        return ("",) * len(PHONE_COLUMNS)
    c = cipher()
    return (
        c.encrypt(phone, context=context),
        c.blind_index(phone, context=context),
        c.tail_index(phone, 4, context=context) if with_tail and len(phone) >= 4 else "",
        mask_phone(phone),
    )


def id_number_hash(number):
    return cipher().blind_index(number, context=ID_CONTEXT)


def id_tail_hash(digits, n):
    """The blind index of an ID number's last n (4 or 6) characters, as stored in id_tail{n}_hash."""
    return cipher().tail_index(digits[-n:], n, context=ID_CONTEXT)


def phone_hash(mobile):
    return cipher().blind_index(mobile, context=PHONE_CONTEXT)


def phone_tail_hash(digits):
    return cipher().tail_index(digits[-4:], 4, context=PHONE_CONTEXT)


def reveal_id_number(resident):
    return cipher().decrypt(resident.id_number_enc, context=ID_CONTEXT) if resident.id_number_enc else ""


def reveal_phone(resident):
    return cipher().decrypt(resident.phone_enc, context=PHONE_CONTEXT) if resident.phone_enc else ""


# A number typed into free text (a tag's details, a resident's notes): seven digits or more in a row (a phone, an ID number with its X, a
# certificate that embeds one, a landline's local part), or a mobile written 3-4-4 with spaces or hyphens.
# Dates (2024-01-02) have at most four digits in a row and stay as they are.
_NUMBER_IN_TEXT = re.compile(r"\d{7,}(?:[Xx]\d*)?|1\d{2}[ -]\d{4}[ -]\d{4}")


def mask_numbers(text):
    """The text with every number in it masked as lists mask ID numbers and mobiles (first 3 and last 4 kept):
    "子女 13812345678" → "子女 138****5678"."""
    return _NUMBER_IN_TEXT.sub(lambda match: mask_id_number(re.sub(r"[ -]", "", match.group())), text)


def protect_notes(notes):
    """A resident's notes as stored: numbers masked in what the card and lists show, the whole text sealed when
    that hid something (a relative's phone typed into 备注), to be revealed with a reason like a phone."""
    shown = mask_numbers(notes) if notes else ""
    return {"notes": shown, "notes_enc": cipher().encrypt(notes, context=NOTES_CONTEXT) if shown != notes else ""}


def reveal_notes(resident):
    return cipher().decrypt(resident.notes_enc, context=NOTES_CONTEXT) if resident.notes_enc else resident.notes


def protect_tag_details(details, *, sensitive):
    """(the details a tag shows, the details it keeps sealed). A sensitive tag shows none. Another shows its
    text with every number masked (an emergency contact's phone, a certificate embedding an ID number), and
    keeps the whole text sealed when that hid something, to be revealed with a reason like a phone. Empty fields
    are left out and the rest kept as text."""
    details = {key: str(value) for key, value in (details or {}).items() if value not in (None, "")}
    if not details:
        return {}, ""
    if sensitive:
        return {}, seal_tag_details(details)
    shown = {key: mask_numbers(value) for key, value in details.items()}
    return shown, seal_tag_details(details) if shown != details else ""


def seal_tag_details(details):
    return cipher().encrypt(json.dumps(details, ensure_ascii=False), context=TAG_CONTEXT) if details else ""


def open_tag_details(token):
    return json.loads(cipher().decrypt(token, context=TAG_CONTEXT)) if token else {}
