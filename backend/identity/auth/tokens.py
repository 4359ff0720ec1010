"""Random tokens: handed out once, stored only as SHA-256."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(prefix: str = "") -> str:
    return prefix + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def same_token(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
