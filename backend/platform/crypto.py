"""Personal data encrypted at rest: AES-256-GCM with the key id stored beside each value.

Stored form: ``v1:<key id>:<base64(nonce ‖ ciphertext ‖ tag)>`` for text, and the same without
base64 for bytes (``b"v1:<key id>:" ‖ nonce ‖ ciphertext ‖ tag``: PDFs, print data). The first
configured key encrypts; every configured key decrypts, so keys rotate without rewriting old
rows at once.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from backend.platform.errors import MadoguchiError
from backend.platform.settings import get_settings, parse_encryption_keys

_PREFIX = "v1"
_NONCE_BYTES = 12


class DecryptionFailed(MadoguchiError):
    code = "decryption_failed"
    default_message = "保存データを復号できません。暗号鍵の設定を確認してください。"


class Keyring:
    def __init__(self, keys: dict[str, bytes]) -> None:
        if not keys:
            raise ValueError("a keyring needs at least one key")
        self._keys = keys
        self.current_id = next(iter(keys))

    @classmethod
    def from_setting(cls, value: str) -> Keyring:
        return cls(parse_encryption_keys(value))

    def encrypt(self, plaintext: str, *, context: bytes = b"") -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._keys[self.current_id]).encrypt(
            nonce, plaintext.encode("utf-8"), context
        )
        blob = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{_PREFIX}:{self.current_id}:{blob}"

    def decrypt(self, stored: str, *, context: bytes = b"") -> str:
        try:
            prefix, key_id, blob = stored.split(":", 2)
        except ValueError as exc:
            raise DecryptionFailed() from exc
        key = self._keys.get(key_id)
        if prefix != _PREFIX or key is None:
            raise DecryptionFailed(f"暗号鍵 {key_id!r} が設定されていません。")
        raw = base64.b64decode(blob)
        try:
            plain = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context)
        except InvalidTag as exc:
            raise DecryptionFailed() from exc
        return plain.decode("utf-8")

    def encrypt_bytes(self, plaintext: bytes, *, context: bytes = b"") -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(self._keys[self.current_id]).encrypt(nonce, plaintext, context)
        return f"{_PREFIX}:{self.current_id}:".encode("ascii") + nonce + sealed

    def decrypt_bytes(self, stored: bytes, *, context: bytes = b"") -> bytes:
        try:
            prefix, key_id_raw, raw = bytes(stored).split(b":", 2)
            key_id = key_id_raw.decode("ascii")
        except ValueError as exc:  # also UnicodeDecodeError
            raise DecryptionFailed() from exc
        key = self._keys.get(key_id)
        if prefix != _PREFIX.encode("ascii") or key is None:
            raise DecryptionFailed(f"暗号鍵 {key_id!r} が設定されていません。")
        try:
            return AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context)
        except InvalidTag as exc:
            raise DecryptionFailed() from exc

    def key_id_of(self, stored: str | bytes) -> str:
        if isinstance(stored, bytes):
            return stored.split(b":", 2)[1].decode("ascii")
        return stored.split(":", 2)[1]


_keyring: Keyring | None = None


def get_keyring() -> Keyring:
    global _keyring
    if _keyring is None:
        _keyring = Keyring.from_setting(get_settings().encryption_keys)
    return _keyring


def set_keyring(keyring: Keyring | None) -> None:
    """Replace the process keyring (key rotation tests, settings reload)."""
    global _keyring
    _keyring = keyring


# --- signed bundles (共創: catalogs and layout sets travel as files between deployments) --------


def _bundle_signing_key() -> Ed25519PrivateKey:
    """This deployment's Ed25519 key, derived from its secret key (nothing more to configure)."""
    seed = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"madoguchi catalog bundle"
    ).derive(get_settings().secret_key.encode("utf-8"))
    return Ed25519PrivateKey.from_private_bytes(seed)


def bundle_signer() -> str:
    """This deployment's public key, base64: the ``signer`` of the bundles it exports."""
    raw = (
        _bundle_signing_key()
        .public_key()
        .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    )
    return base64.b64encode(raw).decode("ascii")


def sign_bundle(payload: bytes) -> str:
    """The base64 signature of ``payload`` with this deployment's key."""
    return base64.b64encode(_bundle_signing_key().sign(payload)).decode("ascii")


def bundle_signature_holds(signer: str, signature: str, payload: bytes) -> bool:
    """Whether ``signature`` (base64) is ``signer``'s (a base64 public key) over ``payload``."""
    try:
        public = Ed25519PublicKey.from_public_bytes(base64.b64decode(signer))
        public.verify(base64.b64decode(signature), payload)
    except (InvalidSignature, ValueError, binascii.Error):
        return False
    return True
