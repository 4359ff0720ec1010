"""Staff passwords: argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

The hasher is one module-level object so that tests can install a cheap one (``set_hasher``);
production never changes it.
"""

from __future__ import annotations

import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()


def set_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Install another hasher (tests: a low-cost one); returns the previous one."""
    global _hasher
    previous, _hasher = _hasher, hasher
    return previous


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@functools.cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("not-a-real-password")


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, False after the same work as a real check."""
    try:
        return _hasher.verify(password_hash or _dummy_hash(_hasher), password) and bool(
            password_hash
        )
    except (VerificationError, InvalidHashError):
        return False
