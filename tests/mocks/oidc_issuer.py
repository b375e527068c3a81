"""A mock OIDC issuer on 127.0.0.1: discovery document, JWKS, and tokens signed with its keys.

Like Keycloak: `GET /.well-known/openid-configuration` names the issuer and its `jwks_uri`;
`GET /protocol/openid-connect/certs` publishes the public halves of the signing keys (RS256 and
ES256, generated per test run, none committed). `token()` signs claims with a published key or
with one the issuer never publishes; `rotate()` adds a new key the way a rotation does. It
counts JWKS fetches, so a test can see the gateway's cache at work.
"""

from __future__ import annotations

import itertools
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
import orjson
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from tests.mocks.server_thread import Receive, Scope, Send, ThreadedServer

CLIENT_ID = "cloverleaf-tests"
JWKS_PATH = "/protocol/openid-connect/certs"
DISCOVERY_PATH = "/.well-known/openid-configuration"
_KIDS = itertools.count(1)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    algorithm: str
    private: PrivateKeyTypes

    def public_jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk: dict[str, Any] = algorithm.to_jwk(self.private.public_key(), as_dict=True)
        return jwk | {"kid": self.kid, "alg": self.algorithm, "use": "sig"}


def new_key(algorithm: str = "RS256") -> SigningKey:
    private: PrivateKeyTypes
    if algorithm.startswith("ES"):
        private = ec.generate_private_key(ec.SECP256R1())
    else:
        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return SigningKey(f"key-{next(_KIDS)}", algorithm, private)


class MockOidcIssuer:
    def __init__(self) -> None:
        self._server = ThreadedServer(self)
        self._lock = threading.Lock()
        self.keys: list[SigningKey] = [new_key("RS256"), new_key("ES256")]
        self.jwks_fetches = 0
        self.discovery_fetches = 0

    @property
    def issuer(self) -> str:
        return self._server.base_url + "/realms/tests"

    @property
    def port(self) -> int:
        return self._server.port

    def rotate(self, algorithm: str = "RS256") -> SigningKey:
        """Publish a new key (the old ones stay published, as during a real rotation)."""
        key = new_key(algorithm)
        with self._lock:
            self.keys.append(key)
        return key

    def token(
        self,
        key: SigningKey | None = None,
        *,
        lifetime_s: float = 300.0,
        kid: str | None = None,
        **claims: Any,
    ) -> str:
        """A JWT as the issuer would hand out for the gateway; `claims` override the defaults."""
        key = key or self.keys[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "sub": "user-1",
            "iat": now,
            "exp": now + int(lifetime_s),
        }
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None}
        headers = {"kid": kid if kid is not None else key.kid}
        return jwt.encode(payload, key.private, algorithm=key.algorithm, headers=headers)  # type: ignore[arg-type]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        path: str = scope["path"]
        if path == "/realms/tests" + DISCOVERY_PATH:
            self.discovery_fetches += 1
            body: dict[str, Any] = {
                "issuer": self.issuer,
                "jwks_uri": self.issuer + JWKS_PATH,
                "id_token_signing_alg_values_supported": ["RS256", "ES256"],
            }
            await _json(send, 200, body)
        elif path == "/realms/tests" + JWKS_PATH:
            with self._lock:
                self.jwks_fetches += 1
                keys = [key.public_jwk() for key in self.keys]
            await _json(send, 200, {"keys": keys})
        else:
            await _json(send, 404, {"error": "not found"})

    def __enter__(self) -> MockOidcIssuer:
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.stop()


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(data))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
