import base64
import os
import threading
from types import SimpleNamespace

import pytest

from shequ.core.crypto import (
    NONCES_PER_DRAW,
    DecryptionError,
    FieldCipher,
    KeyConfigError,
    decode_key,
    generate_key,
)

ID_CONTEXT = "resident.id_number"
PHONE_CONTEXT = "resident.phone"
SECRET = "11010519491231002X"


def make_cipher(keys=None, current="k1", index_key=None):
    keys = keys or {"k1": decode_key(generate_key(), name="k1")}
    index_key = index_key or decode_key(generate_key(), name="index")
    return FieldCipher(keys, current, index_key)


def tamper_payload(token: str) -> str:
    version, key_id, payload = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[-1] ^= 0x01
    tampered = base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()
    return f"{version}.{key_id}.{tampered}"


@pytest.fixture
def cipher():
    return make_cipher()


# -- keys ------------------------------------------------------------------------


def test_generate_key_is_random_32_bytes_urlsafe_base64():
    first, second = generate_key(), generate_key()
    assert first != second
    assert len(base64.urlsafe_b64decode(first)) == 32
    assert set(first) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


def test_decode_key_accepts_missing_padding_and_rejects_wrong_length():
    key = generate_key()
    assert decode_key(key.rstrip("="), name="k") == base64.urlsafe_b64decode(key)
    with pytest.raises(KeyConfigError):
        decode_key(base64.urlsafe_b64encode(b"short").decode(), name="k")


def test_constructor_rejects_bad_configuration():
    key = decode_key(generate_key(), name="k")
    with pytest.raises(KeyConfigError):
        FieldCipher({"k1": key}, "k2", key)
    with pytest.raises(KeyConfigError):
        FieldCipher({"k1": b"too short"}, "k1", key)
    with pytest.raises(KeyConfigError):
        FieldCipher({"k1": key}, "k1", b"too short")
    with pytest.raises(KeyConfigError):
        FieldCipher({"k.1": key}, "k.1", key)


def test_repr_does_not_reveal_keys():
    key = decode_key(generate_key(), name="k")
    cipher = FieldCipher({"k1": key}, "k1", key)
    text = repr(cipher)
    assert "k1" in text
    assert key.hex() not in text
    assert base64.urlsafe_b64encode(key).decode() not in text


# -- encryption --------------------------------------------------------------------


def test_round_trip(cipher):
    token = cipher.encrypt(SECRET, context=ID_CONTEXT)
    assert cipher.decrypt(token, context=ID_CONTEXT) == SECRET


def test_round_trip_unicode_and_empty(cipher):
    for plain in ("", "张三 北京市朝阳区", "😀"):
        assert cipher.decrypt(cipher.encrypt(plain, context=ID_CONTEXT), context=ID_CONTEXT) == plain


def test_token_is_compact_ascii_and_hides_plaintext(cipher):
    token = cipher.encrypt(SECRET, context=ID_CONTEXT)
    version, key_id, payload = token.split(".")
    assert (version, key_id) == ("v1", "k1")
    assert token.isascii()
    assert "=" not in token
    assert SECRET not in token
    # 12-byte nonce + 18-byte plaintext + 16-byte tag
    assert len(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))) == 12 + 18 + 16


def test_same_plaintext_encrypts_differently_each_time(cipher):
    assert cipher.encrypt(SECRET, context=ID_CONTEXT) != cipher.encrypt(SECRET, context=ID_CONTEXT)


def nonce_of(token: str) -> bytes:
    payload = token.split(".")[2]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))[:12]


def test_nonces_do_not_repeat_within_a_draw_or_from_one_draw_to_the_next(cipher):
    nonces = [nonce_of(cipher.encrypt(SECRET, context=ID_CONTEXT)) for _ in range(NONCES_PER_DRAW + 100)]
    assert len(set(nonces)) == len(nonces) and {len(nonce) for nonce in nonces} == {12}


def test_a_forked_process_does_not_use_the_nonces_its_parent_drew(cipher):
    cipher.encrypt(SECRET, context=ID_CONTEXT)  # the parent has drawn a block and goes on taking from it
    reading, writing = os.pipe()
    child = os.fork()
    if child == 0:  # the child: its nonce through the pipe, and out without pytest's teardown
        os.write(writing, nonce_of(cipher.encrypt(SECRET, context=ID_CONTEXT)))
        os._exit(0)
    os.close(writing)
    parents = nonce_of(cipher.encrypt(SECRET, context=ID_CONTEXT))
    os.waitpid(child, 0)
    childs = os.read(reading, 12)
    os.close(reading)
    assert len(childs) == 12 and childs != parents


def test_threads_draw_their_own_nonces(cipher):
    drawn, start = [[], []], threading.Barrier(2)

    def encrypt_many(into):
        start.wait()
        into.extend(nonce_of(cipher.encrypt(SECRET, context=ID_CONTEXT)) for _ in range(2000))

    threads = [threading.Thread(target=encrypt_many, args=(into,)) for into in drawn]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(drawn[0]) | set(drawn[1])) == 4000


def test_tampered_token_is_rejected(cipher):
    token = cipher.encrypt(SECRET, context=ID_CONTEXT)
    with pytest.raises(DecryptionError) as excinfo:
        cipher.decrypt(tamper_payload(token), context=ID_CONTEXT)
    assert SECRET not in str(excinfo.value)


def test_token_cannot_move_to_another_column(cipher):
    token = cipher.encrypt(SECRET, context=ID_CONTEXT)
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=PHONE_CONTEXT)


def test_token_from_other_key_with_same_id_is_rejected(cipher):
    token = make_cipher().encrypt(SECRET, context=ID_CONTEXT)
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=ID_CONTEXT)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "v2.k1.AAAA",
        "v1.k1",
        "v1.k1.!!!",
        "v1.k1.AAAA",
        "v1..AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        None,
        42,
    ],
)
def test_malformed_tokens_are_rejected(cipher, token):
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context=ID_CONTEXT)


def test_unknown_key_id_is_rejected(cipher):
    token = cipher.encrypt(SECRET, context=ID_CONTEXT).replace("v1.k1.", "v1.k9.")
    with pytest.raises(DecryptionError, match="k9"):
        cipher.decrypt(token, context=ID_CONTEXT)


def test_empty_context_is_refused(cipher):
    with pytest.raises(ValueError):
        cipher.encrypt(SECRET, context="")


# -- rotation ----------------------------------------------------------------------


def test_rotation_old_tokens_still_decrypt_and_need_rotation():
    old_key = decode_key(generate_key(), name="old")
    new_key = decode_key(generate_key(), name="new")
    index_key = decode_key(generate_key(), name="index")
    before = FieldCipher({"2024": old_key}, "2024", index_key)
    after = FieldCipher({"2024": old_key, "2025": new_key}, "2025", index_key)

    old_token = before.encrypt(SECRET, context=ID_CONTEXT)
    assert not before.needs_rotation(old_token)
    assert after.needs_rotation(old_token)
    assert after.decrypt(old_token, context=ID_CONTEXT) == SECRET

    new_token = after.encrypt(after.decrypt(old_token, context=ID_CONTEXT), context=ID_CONTEXT)
    assert new_token.startswith("v1.2025.")
    assert not after.needs_rotation(new_token)
    assert after.decrypt(new_token, context=ID_CONTEXT) == SECRET


def test_needs_rotation_rejects_malformed_token(cipher):
    with pytest.raises(DecryptionError):
        cipher.needs_rotation("not-a-token")


# -- blind indexes -------------------------------------------------------------------


def test_blind_index_is_deterministic_hex_16(cipher):
    first = cipher.blind_index(SECRET, context=ID_CONTEXT)
    assert first == cipher.blind_index(SECRET, context=ID_CONTEXT)
    assert len(first) == 16
    assert int(first, 16) >= 0


def test_blind_index_depends_on_value_context_and_key(cipher):
    base = cipher.blind_index(SECRET, context=ID_CONTEXT)
    assert cipher.blind_index("110105194912310029", context=ID_CONTEXT) != base
    assert cipher.blind_index(SECRET, context=PHONE_CONTEXT) != base
    assert make_cipher().blind_index(SECRET, context=ID_CONTEXT) != base


def test_blind_index_survives_encryption_key_rotation():
    index_key = decode_key(generate_key(), name="index")
    first = make_cipher(index_key=index_key)
    second = make_cipher(index_key=index_key)
    assert first.blind_index(SECRET, context=ID_CONTEXT) == second.blind_index(SECRET, context=ID_CONTEXT)


def test_blind_index_matches_documented_construction():
    import hashlib
    import hmac

    index_key = bytes(range(32))
    cipher = make_cipher(index_key=index_key)
    message = b"resident.id_number\x00" + SECRET.encode()
    expected = hmac.new(index_key, message, hashlib.sha256).hexdigest()[:16]
    assert cipher.blind_index(SECRET, context=ID_CONTEXT) == expected


def test_tail_index_matches_suffix_search(cipher):
    stored = cipher.tail_index("13812345678", 4, context=PHONE_CONTEXT)
    assert stored == cipher.tail_index("5678", 4, context=PHONE_CONTEXT)
    assert stored == cipher.blind_index("5678", context=f"{PHONE_CONTEXT}:tail4")
    assert stored != cipher.blind_index("5678", context=PHONE_CONTEXT)
    assert stored != cipher.tail_index("13812345678", 6, context=PHONE_CONTEXT)
    assert stored != cipher.tail_index("13812345679", 4, context=PHONE_CONTEXT)


def test_short_tails_remembered_are_the_same_hashes_per_key_and_column(cipher):
    """Last-four indexes are remembered per cipher: a repeat gives the stored hash, and another index key or
    column (or a 3-character tail of the same digits) never gets this one's."""
    first = cipher.tail_index("13812345678", 4, context=PHONE_CONTEXT)
    assert cipher.tail_index("13900005678", 4, context=PHONE_CONTEXT) == first
    assert first == cipher.blind_index("5678", context=f"{PHONE_CONTEXT}:tail4")
    assert cipher.tail_index("5678", 4, context=ID_CONTEXT) == cipher.blind_index("5678", context=f"{ID_CONTEXT}:tail4")
    assert cipher.tail_index("5678", 4, context=ID_CONTEXT) != first
    assert cipher.tail_index("5678", 3, context=PHONE_CONTEXT) == cipher.blind_index("678", context=f"{PHONE_CONTEXT}:tail3")
    other = make_cipher(index_key=b"\x07" * 32)
    assert other.tail_index("13812345678", 4, context=PHONE_CONTEXT) != first


def test_short_tails_remembered_stay_bounded(monkeypatch):
    monkeypatch.setattr("shequ.core.crypto._SHORT_TAIL_CACHE_SIZE", 3)
    cipher = make_cipher()
    hashes = {f"{n:04d}": cipher.tail_index(f"1380000{n:04d}", 4, context=PHONE_CONTEXT) for n in range(10)}
    assert len(cipher._short_tails) == 3  # the first three kept, the others hashed each time
    assert all(cipher.blind_index(tail, context=f"{PHONE_CONTEXT}:tail4") == h for tail, h in hashes.items())


def test_tail_index_rejects_short_values_and_bad_n(cipher):
    with pytest.raises(ValueError):
        cipher.tail_index("123", 4, context=PHONE_CONTEXT)
    with pytest.raises(ValueError):
        cipher.tail_index("1234", 0, context=PHONE_CONTEXT)


# -- from_settings ---------------------------------------------------------------------


@pytest.fixture
def fake_settings(monkeypatch):
    # Patch the attribute the lazy import reads, so no Django configuration is needed.
    import django.conf

    settings = SimpleNamespace(
        SHEQU_FIELD_KEYS={"k1": generate_key()},
        SHEQU_FIELD_KEY_CURRENT="k1",
        SHEQU_INDEX_KEY=generate_key(),
    )
    monkeypatch.setattr(django.conf, "settings", settings)
    FieldCipher.reset()
    yield settings
    FieldCipher.reset()


def test_from_settings_is_cached_until_reset(fake_settings):
    first = FieldCipher.from_settings()
    assert FieldCipher.from_settings() is first
    token = first.encrypt(SECRET, context=ID_CONTEXT)

    fake_settings.SHEQU_FIELD_KEYS = {**fake_settings.SHEQU_FIELD_KEYS, "k2": generate_key()}
    fake_settings.SHEQU_FIELD_KEY_CURRENT = "k2"
    assert FieldCipher.from_settings().current == "k1"

    FieldCipher.reset()
    rotated = FieldCipher.from_settings()
    assert rotated is not first
    assert rotated.current == "k2"
    assert rotated.needs_rotation(token)
    assert rotated.decrypt(token, context=ID_CONTEXT) == SECRET


def test_from_settings_reports_bad_key_without_revealing_it(fake_settings):
    bad = base64.urlsafe_b64encode(b"sixteen byte key").decode()
    fake_settings.SHEQU_INDEX_KEY = bad
    with pytest.raises(KeyConfigError, match="SHEQU_INDEX_KEY") as excinfo:
        FieldCipher.from_settings()
    assert bad not in str(excinfo.value)
