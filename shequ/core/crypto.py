"""Encryption of sensitive fields at rest (ID numbers, phone numbers ...).

Values are stored as AES-256-GCM tokens "v1.<key_id>.<base64url(nonce+ciphertext)>".
The key id travels with the token so rows encrypted before a key rotation keep
decrypting; the column name is bound in as associated data so a ciphertext
copied into another column fails to decrypt.

Exact-match search uses blind indexes (keyed HMAC), never the ciphertext.
Nothing in this module logs or raises with plaintext or key material.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import re
import threading
from typing import ClassVar

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shequ.core.memo import BoundedMemo

TOKEN_VERSION = "v1"
KEY_BYTES = 32
NONCE_BYTES = 12
GCM_TAG_BYTES = 16
# 64 bits of the HMAC: two of a community's million values collide with a chance of about 3 in 100 million
# (no unique constraint rests on it), and each of a resident's five indexes is 16 characters shorter, which
# a million-row import writes, sorts and commits (the table a sixth smaller).
BLIND_INDEX_HEX_CHARS = 16
_HMAC_BLOCK = 64  # SHA-256's block size; the 32-byte index key is padded to it

# Four digits have ten thousand values (eleven with an ID number's X): a million-row import hashes each last-four
# of an ID number and of a phone once instead of a million times. Longer tails are too many to keep.
_SHORT_TAIL = 4
_SHORT_TAIL_CACHE_SIZE = 50_000

# AES-GCM must never use a nonce twice under one key. Each is 96 random bits from the operating system, drawn
# NONCES_PER_DRAW at a time: one getrandom call instead of one a value (0.65 to 0.15 µs; a large import encrypts
# two values a row). Each thread draws its own, and a forked process drops what it inherited from its parent,
# which the parent goes on using (an import's reading process is forked, and encrypts).
NONCES_PER_DRAW = 4096


class _Nonces(threading.local):
    def __init__(self):
        self.take = self._drawn().__next__

    @staticmethod
    def _drawn():
        while True:
            block = os.urandom(NONCE_BYTES * NONCES_PER_DRAW)
            for start in range(0, len(block), NONCE_BYTES):
                yield block[start:start + NONCE_BYTES]


_nonces = _Nonces()


def _forget_inherited_nonces():
    global _nonces
    _nonces = _Nonces()


os.register_at_fork(after_in_child=_forget_inherited_nonces)

# Key ids end up inside tokens, where '.' separates the parts.
_KEY_ID = re.compile(r"^[A-Za-z0-9_-]+$")


class DecryptionError(ValueError):
    """The token is malformed, was tampered with, or belongs to another column or key."""


class KeyConfigError(ValueError):
    """The configured keys are unusable (wrong length, unknown current key ...)."""


def generate_key() -> str:
    """A new random 32-byte key as urlsafe base64, ready for SHEQU_FIELD_KEYS."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode("ascii")


def decode_key(encoded: str | bytes, *, name: str) -> bytes:
    """Decode a urlsafe base64 key from settings; `name` only labels errors."""
    text = encoded.decode("ascii") if isinstance(encoded, bytes) else str(encoded)
    text = text.strip()
    padded = text + "=" * (-len(text) % 4)  # tolerate keys pasted without padding
    try:
        key = base64.urlsafe_b64decode(padded)
    except (binascii.Error, ValueError):
        raise KeyConfigError(f"{name} 不是有效的 urlsafe base64 字符串") from None
    if len(key) != KEY_BYTES:
        raise KeyConfigError(f"{name} 解码后应为 {KEY_BYTES} 字节")
    return key


_URLSAFE = bytes.maketrans(b"+/", b"-_")


def _b64encode(data: bytes) -> str:
    # base64.urlsafe_b64encode's own steps without its two Python frames: two values a row of a large import.
    return binascii.b2a_base64(data, newline=False).translate(_URLSAFE).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode("ascii"))


# A handful of column names, encoded once instead of for every value of a million-row import.
_CONTEXT_BYTES = BoundedMemo(lambda context: context.encode("utf-8"), 256)


def _require_context(context: str) -> bytes:
    if context.__class__ is str and context:
        return _CONTEXT_BYTES[context]
    # An empty context would let ciphertexts move freely between columns.
    if not isinstance(context, str) or not context:
        raise ValueError("context 不能为空，应为字段名，如 'resident.id_number'")
    return context.encode("utf-8")


@functools.lru_cache(maxsize=256)
def _tail_context(context: str, length: int) -> str:
    return f"{context}:tail{length}"


class FieldCipher:
    """Encrypts and indexes field values with a fixed set of keys."""

    _from_settings_cache: ClassVar[FieldCipher | None] = None

    def __init__(self, keys: dict[str, bytes], current: str, index_key: bytes) -> None:
        self._check_keys(keys, current, index_key)
        self._aead_by_key_id = {key_id: AESGCM(key) for key_id, key in keys.items()}
        self.current = current
        self._current_aead = self._aead_by_key_id[current]
        self._token_prefix = f"{TOKEN_VERSION}.{current}."
        self._index_key = bytes(index_key)
        self._index_state_cache: dict[str, tuple] = {}
        # (tail, context) → its blind index; four characters have few values, so the limit is not reached.
        self._short_tails = BoundedMemo(self._tail_blind_index, _SHORT_TAIL_CACHE_SIZE)

    @staticmethod
    def _check_keys(keys: dict[str, bytes], current: str, index_key: bytes) -> None:
        for key_id, key in keys.items():
            if not isinstance(key_id, str) or not _KEY_ID.match(key_id):
                raise KeyConfigError("密钥 id 只能包含字母、数字、下划线和连字符")
            if len(key) != KEY_BYTES:
                raise KeyConfigError(f"密钥 {key_id} 应为 {KEY_BYTES} 字节")
        if current not in keys:
            raise KeyConfigError(f"当前密钥 {current!r} 不在已配置的密钥中")
        if len(index_key) != KEY_BYTES:
            raise KeyConfigError(f"索引密钥应为 {KEY_BYTES} 字节")

    def __repr__(self) -> str:
        # Key ids only: a repr may end up in logs or error reports.
        return f"<FieldCipher current={self.current!r} keys={sorted(self._aead_by_key_id)!r}>"

    # -- construction from Django settings --------------------------------

    @classmethod
    def from_settings(cls) -> FieldCipher:
        """The cipher for SHEQU_FIELD_KEYS / SHEQU_FIELD_KEY_CURRENT / SHEQU_INDEX_KEY, cached."""
        cached = cls._from_settings_cache
        if cached is None:
            cached = cls._build_from_settings()
            cls._from_settings_cache = cached
        return cached

    @classmethod
    def reset(cls) -> None:
        """Forget the cached settings cipher (tests, key rotation)."""
        cls._from_settings_cache = None

    @classmethod
    def _build_from_settings(cls) -> FieldCipher:
        from django.conf import settings  # lazy: the module must import without Django

        keys = {
            str(key_id): decode_key(encoded, name=f"SHEQU_FIELD_KEYS[{key_id!r}]")
            for key_id, encoded in settings.SHEQU_FIELD_KEYS.items()
        }
        index_key = decode_key(settings.SHEQU_INDEX_KEY, name="SHEQU_INDEX_KEY")
        return cls(keys, settings.SHEQU_FIELD_KEY_CURRENT, index_key)

    # -- encryption ---------------------------------------------------------

    def encrypt(self, plain: str, *, context: str) -> str:
        associated_data = _require_context(context)
        nonce = _nonces.take()
        payload = nonce + self._current_aead.encrypt(nonce, plain.encode("utf-8"), associated_data)
        return self._token_prefix + _b64encode(payload)

    def decrypt(self, token: str, *, context: str) -> str:
        associated_data = _require_context(context)
        key_id, payload = self._split_token(token)
        aead = self._aead_by_key_id.get(key_id)
        if aead is None:
            raise DecryptionError(f"密文使用的密钥 {key_id!r} 未配置")
        nonce, ciphertext = payload[:NONCE_BYTES], payload[NONCE_BYTES:]
        try:
            plain = aead.decrypt(nonce, ciphertext, associated_data)
        except InvalidTag:
            raise DecryptionError("密文校验失败：已被篡改，或不属于该字段") from None
        return plain.decode("utf-8")

    def needs_rotation(self, token: str) -> bool:
        """True when the token was encrypted with a key other than the current one."""
        key_id, _payload = self._split_token(token)
        return key_id != self.current

    @staticmethod
    def _split_token(token: str) -> tuple[str, bytes]:
        parts = token.split(".") if isinstance(token, str) else []
        if len(parts) != 3 or parts[0] != TOKEN_VERSION or not _KEY_ID.match(parts[1]):
            raise DecryptionError("密文格式无效")
        try:
            payload = _b64decode(parts[2])
        except (binascii.Error, ValueError):
            raise DecryptionError("密文格式无效") from None
        if len(payload) < NONCE_BYTES + GCM_TAG_BYTES:
            raise DecryptionError("密文格式无效")
        return parts[1], payload

    # -- blind indexes ------------------------------------------------------

    def blind_index(self, value: str, *, context: str) -> str:
        """Deterministic keyed hash for exact lookup; normalise `value` before calling."""
        inner, outer = self._index_state_cache.get(context) or self._index_states(context)
        inner = inner.copy()
        inner.update(value.encode("utf-8"))
        outer = outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()[:BLIND_INDEX_HEX_CHARS]

    def _index_states(self, context: str) -> tuple:
        """HMAC-SHA256 (RFC 2104) of `context` NUL value, with the key and context already hashed in: an
        import indexes five values a row, and this leaves two short SHA-256 updates for each."""
        states = self._index_state_cache.get(context)
        if states is None:
            inner = hashlib.sha256(bytes(b ^ 0x36 for b in self._index_key.ljust(_HMAC_BLOCK, b"\x00")))
            inner.update(_require_context(context) + b"\x00")
            outer = hashlib.sha256(bytes(b ^ 0x5C for b in self._index_key.ljust(_HMAC_BLOCK, b"\x00")))
            states = self._index_state_cache[context] = (inner, outer)
        return states

    def tail_index(self, value: str, n: int, *, context: str) -> str:
        """Blind index of the last `n` characters, for "last 4 / last 6 digits" search."""
        if n < 1:
            raise ValueError("n 应为正整数")
        if len(value) < n:
            raise ValueError(f"值不足 {n} 位，无法建立尾号索引")
        tail = value[-n:]
        return self._short_tails[tail, context] if n <= _SHORT_TAIL else self._tail_blind_index((tail, context))

    def _tail_blind_index(self, tail_and_context: tuple[str, str]) -> str:
        tail, context = tail_and_context
        return self.blind_index(tail, context=_tail_context(context, len(tail)))
