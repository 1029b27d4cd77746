"""Key rotation for the registry's encrypted columns: re-encrypt under the current key, and with
reindex=True recompute every blind index (after SHEQU_INDEX_KEY changed)."""

from django.db import transaction

from shequ.audit.services import audit_record
from shequ.core.crypto import FieldCipher

from .models import Household, Resident, ResidentTag
from .protection import (
    HOUSEHOLD_PHONE_CONTEXT,
    ID_CONTEXT,
    PHONE_CONTEXT,
    TAG_CONTEXT,
    protect_id_number,
    protect_phone,
)

BATCH = 1000
# model, encrypted column, context, the function that rebuilds all derived columns from the plain value
COLUMNS = [
    (Resident, "id_number_enc", ID_CONTEXT, protect_id_number),
    (Resident, "phone_enc", PHONE_CONTEXT, protect_phone),
    (Household, "phone_enc", HOUSEHOLD_PHONE_CONTEXT,
     lambda plain: protect_phone(plain, context=HOUSEHOLD_PHONE_CONTEXT, with_tail=False)),
    (ResidentTag, "details_enc", TAG_CONTEXT, None),
]


def rotate_field_keys(*, actor=None, reindex=False, progress=None):
    """Returns {"model.column": rows rewritten}. Works in batches, each its own transaction, so it can
    run on a live system and be resumed: a row already under the current key is skipped."""
    FieldCipher.reset()
    cipher = FieldCipher.from_settings()
    counts = {}
    for model, column, context, rebuild in COLUMNS:
        key = f"{model._meta.model_name}.{column}"
        counts[key] = _rotate_column(cipher, model, column, context, rebuild if reindex else None, progress)
    audit_record(actor, "rotate_keys", None, details={"counts": counts, "reindex": reindex})
    return counts


def _rotate_column(cipher, model, column, context, rebuild, progress):
    rewritten, last_id = 0, 0
    while True:
        rows = list(model.objects.filter(id__gt=last_id).exclude(**{column: ""}).order_by("id")
                    .only("id", column)[:BATCH])
        if not rows:
            return rewritten
        last_id = rows[-1].id
        changed, fields = [], [column]
        for row in rows:
            token = getattr(row, column)
            if rebuild is None and not cipher.needs_rotation(token):
                continue
            plain = cipher.decrypt(token, context=context)
            values = rebuild(plain) if rebuild else {column: cipher.encrypt(plain, context=context)}
            fields = list(values)
            for field, value in values.items():
                setattr(row, field, value)
            changed.append(row)
        if changed:
            with transaction.atomic():
                model.objects.bulk_update(changed, fields, batch_size=BATCH)
            rewritten += len(changed)
        if progress:
            progress(model._meta.model_name, column, rewritten)
