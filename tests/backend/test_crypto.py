import base64

import pytest

from backend.platform.crypto import DecryptionFailed, Keyring


def _key(byte: bytes) -> bytes:
    return byte * 32


def test_round_trip_keeps_every_code_point() -> None:
    ring = Keyring({"a": _key(b"a")})
    for text in ["黒桐　幹也", "髙﨑", "\U00020bb7田", "\ufa30"]:
        assert ring.decrypt(ring.encrypt(text)) == text


def test_ciphertext_names_its_key_and_hides_text() -> None:
    ring = Keyring({"a": _key(b"a")})
    stored = ring.encrypt("黒桐　幹也")
    assert stored.startswith("v1:a:")
    assert "黒桐" not in stored
    assert "黒桐".encode() not in base64.b64decode(stored.split(":", 2)[2])


def test_rotation_new_key_encrypts_old_key_still_decrypts() -> None:
    old = Keyring({"old": _key(b"o")})
    stored_old = old.encrypt("東京都")
    rotated = Keyring({"new": _key(b"n"), "old": _key(b"o")})
    assert rotated.decrypt(stored_old) == "東京都"
    assert rotated.key_id_of(rotated.encrypt("x")) == "new"


def test_tampered_or_unknown_key_fails_loudly() -> None:
    ring = Keyring({"a": _key(b"a")})
    stored = ring.encrypt("abc")
    prefix, key_id, blob = stored.split(":", 2)
    raw = bytearray(base64.b64decode(blob))
    raw[-1] ^= 1
    with pytest.raises(DecryptionFailed):
        ring.decrypt(f"{prefix}:{key_id}:{base64.b64encode(bytes(raw)).decode()}")
    with pytest.raises(DecryptionFailed):
        Keyring({"b": _key(b"b")}).decrypt(stored)


def test_bytes_round_trip_name_their_key_and_hide_the_content() -> None:
    ring = Keyring({"a": _key(b"a")})
    pdf = b"%PDF-1.7\n" + "黒桐".encode("utf-16-be") + bytes(range(256))
    stored = ring.encrypt_bytes(pdf)
    assert stored.startswith(b"v1:a:") and ring.key_id_of(stored) == "a"
    assert b"%PDF" not in stored and "黒桐".encode("utf-16-be") not in stored
    assert ring.decrypt_bytes(stored) == pdf
    assert ring.decrypt_bytes(ring.encrypt_bytes(b"")) == b""


def test_bytes_rotate_and_fail_loudly() -> None:
    stored = Keyring({"old": _key(b"o")}).encrypt_bytes(b"\x1b@receipt")
    rotated = Keyring({"new": _key(b"n"), "old": _key(b"o")})
    assert rotated.decrypt_bytes(stored) == b"\x1b@receipt"
    assert rotated.key_id_of(rotated.encrypt_bytes(b"x")) == "new"
    tampered = bytearray(stored)
    tampered[-1] ^= 1
    for bad in (bytes(tampered), b"%PDF-1.7 plain", b"v1:\xff:xx"):
        with pytest.raises(DecryptionFailed):
            rotated.decrypt_bytes(bad)
    with pytest.raises(DecryptionFailed):
        Keyring({"b": _key(b"b")}).decrypt_bytes(stored)
