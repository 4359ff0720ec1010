"""A small OpenID Provider on a loopback port: discovery, JWKS, authorize, token.

It checks what a real provider checks (client credentials, redirect URI, PKCE S256) and signs
ID tokens with an RSA key of its own. ``misbehave`` makes it lie (wrong key, wrong nonce…).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey

CLIENT_ID = "madoguchi-test"
CLIENT_SECRET = "fake-idp-secret"


_KEYS: list[RSAKey] = []


def _keys() -> tuple[RSAKey, RSAKey]:
    """The provider's key and an impostor's with the same kid (generated once per run)."""
    if not _KEYS:
        _KEYS.append(RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"}))
        _KEYS.append(RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    return _KEYS[0], _KEYS[1]


class FakeIdP:
    def __init__(self) -> None:
        self.key, self.other_key = _keys()
        self.codes: dict[str, dict[str, Any]] = {}
        self.claims: dict[str, Any] = {"sub": "u-001", "name": "検証　一郎",
                                       "groups": ["madoguchi-clerks"]}  # fmt: skip
        self.misbehave: str | None = None
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakeIdP:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300,
                  "nonce": grant["nonce"], **self.claims}  # fmt: skip
        key = self.key
        if self.misbehave == "wrong_key":
            key = self.other_key
        elif self.misbehave == "wrong_nonce":
            claims["nonce"] = "not-the-nonce"
        elif self.misbehave == "wrong_audience":
            claims["aud"] = "someone-else"
        elif self.misbehave == "expired":
            claims["exp"] = now - 3600
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _json(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path == "/.well-known/openid-configuration":
                    self._json(200, {
                        "issuer": idp.issuer,
                        "authorization_endpoint": f"{idp.issuer}/authorize",
                        "token_endpoint": f"{idp.issuer}/token",
                        "jwks_uri": f"{idp.issuer}/jwks",
                    })  # fmt: skip
                elif url.path == "/jwks":
                    self._json(200, KeySet([idp.key]).as_dict(private=False))
                elif url.path == "/authorize":
                    query = {k: v[0] for k, v in parse_qs(url.query).items()}
                    assert query["client_id"] == CLIENT_ID and query["response_type"] == "code"
                    assert query["code_challenge_method"] == "S256"
                    code = secrets.token_urlsafe(16)
                    idp.codes[code] = query
                    target = (
                        query["redirect_uri"]
                        + "?"
                        + urlencode({"code": code, "state": query["state"]})
                    )
                    self.send_response(302)
                    self.send_header("location", target)
                    self.end_headers()
                else:
                    self._json(404, {"error": "not_found"})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                expected = (
                    "Basic " + base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
                )
                if self.headers.get("authorization") != expected:
                    self._json(401, {"error": "invalid_client"})
                    return
                grant = idp.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = (
                    base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                    .rstrip(b"=")
                    .decode()
                )
                if (grant is None or grant["code_challenge"] != challenge
                        or grant["redirect_uri"] != form.get("redirect_uri")):  # fmt: skip
                    self._json(400, {"error": "invalid_grant"})
                    return
                self._json(200, {"access_token": "at", "token_type": "Bearer",
                                 "id_token": idp.id_token(grant)})  # fmt: skip

        return Handler
