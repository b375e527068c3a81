"""A mock identity service: Google's OAuth token endpoint and Entra ID's, on 127.0.0.1.

Google (`POST /token`): the JWT-bearer grant; the assertion's RS256 signature is verified with
the service account's public key, and its claims (iss, aud, scope, kid, one-hour lifetime) as
google-auth and the gateway must send them. Entra (`POST /{tenant}/oauth2/v2.0/token`): the
client-credentials grant with the registered id, secret and scope. Both issue opaque tokens
with a chosen `expires_in`, count what they issued, and can be told to refuse the next fetches.
Keys are generated per test run (`service_account`); none is committed.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import jwt
import orjson
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.mocks.scripted import RecordedRequest, ScriptedUpstream, Served
from tests.mocks.server_thread import Receive, Send, ThreadedServer

JSON = dict[str, Any]
GOOGLE_PATH = "/token"
GOOGLE_TOKEN_ENDPOINT = "https://oauth2.googleapis.com/token"
CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ENTRA_SCOPE = "https://cognitiveservices.azure.com/.default"


@dataclass(frozen=True)
class Refuse:
    """Answer the next token request with this OAuth error instead of a token."""

    status: int = 400
    error: str = "invalid_grant"
    description: str = "Refused by the test."


@dataclass(frozen=True)
class GoogleAccount:
    client_email: str
    public_key_pem: bytes
    key_id: str


@dataclass(frozen=True)
class EntraApp:
    tenant: str
    client_id: str
    client_secret: str
    scope: str = ENTRA_SCOPE


def service_account(
    token_uri: str, email: str = "gateway@test-project.iam.gserviceaccount.com"
) -> tuple[JSON, GoogleAccount]:
    """A fresh service-account key file (as Google hands it out) and what the mock checks."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_id = "kid-" + email.split("@", maxsplit=1)[0]
    info = {
        "type": "service_account",
        "project_id": "test-project",
        "private_key_id": key_id,
        "private_key": pem,
        "client_email": email,
        "client_id": "1234567890",
        "token_uri": token_uri,
    }
    return info, GoogleAccount(email, public, key_id)


class MockIdentity(Served, ScriptedUpstream[Refuse]):
    """Both token endpoints; `issued` lists every token handed out, oldest first.

    ``check_times``: verify the assertion's iat/exp against the real clock (tests that move the
    gateway's clock turn it off; the one-hour lifetime is always checked).
    """

    def __init__(
        self,
        *,
        google: GoogleAccount | None = None,
        entra: EntraApp | None = None,
        expires_in: int = 3599,
        check_times: bool = True,
    ) -> None:
        super().__init__()
        self.google, self.entra = google, entra
        self.expires_in, self.check_times = expires_in, check_times
        self._issued: list[str] = []
        self._serial = itertools.count(1)
        self.server = ThreadedServer(self)

    @property
    def token_uri(self) -> str:
        return self.base_url + GOOGLE_PATH

    @property
    def issued(self) -> list[str]:
        with self._lock:
            return list(self._issued)

    @property
    def fetches(self) -> int:
        return len(self.issued)

    def accepts(self, token: str) -> bool:
        with self._lock:
            return token in self._issued

    async def _route(self, request: RecordedRequest, receive: Receive, send: Send) -> None:
        kind = request.headers.get("content-type", "")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("latin-1")).items()}
        if request.method != "POST" or not kind.startswith("application/x-www-form-urlencoded"):
            return await _send(send, 400, _oauth_error("invalid_request", "POST a form"))
        if request.path == GOOGLE_PATH and self.google is not None:
            problem = self._google_problem(form)
        elif self.entra is not None and request.path == f"/{self.entra.tenant}/oauth2/v2.0/token":
            problem = self._entra_problem(form)
        else:
            return await _send(send, 404, _oauth_error("not_found", request.path))
        refusal = self._next_reply()
        if refusal is not None:
            return await _send(
                send, refusal.status, _oauth_error(refusal.error, refusal.description)
            )
        if problem is not None:
            return await _send(send, problem[0], _oauth_error(*problem[1:]))
        with self._lock:
            token = f"ya29.mock-{next(self._serial)}"
            self._issued.append(token)
        answer = {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"}
        await _send(send, 200, answer)

    def _google_problem(self, form: dict[str, str]) -> tuple[int, str, str] | None:
        account = self.google
        assert account is not None
        if form.get("grant_type") != JWT_BEARER:
            return (
                400,
                "unsupported_grant_type",
                "Invalid grant_type: " + form.get("grant_type", ""),
            )
        assertion = form.get("assertion", "")
        try:
            header = jwt.get_unverified_header(assertion)
            claims = jwt.decode(
                assertion,
                account.public_key_pem,
                algorithms=["RS256"],
                # google-auth always says Google's endpoint, the gateway its token_uri
                audience=[self.token_uri, GOOGLE_TOKEN_ENDPOINT],
                issuer=account.client_email,
                options={"verify_iat": self.check_times, "verify_exp": self.check_times},
            )
        except jwt.InvalidTokenError as exc:
            return 400, "invalid_grant", f"Invalid JWT: {exc}"
        if header.get("kid") != account.key_id:
            return 400, "invalid_grant", "Invalid JWT Signature."
        if CLOUD_PLATFORM not in str(claims.get("scope", "")).split():
            return 400, "invalid_scope", "Invalid OAuth scope or ID token audience provided."
        if claims.get("exp", 0) - claims.get("iat", 0) > 3600:
            return 400, "invalid_grant", "Invalid JWT: Token must be a short-lived token."
        return None

    def _entra_problem(self, form: dict[str, str]) -> tuple[int, str, str] | None:
        app = self.entra
        assert app is not None
        if form.get("grant_type") != "client_credentials":
            return 400, "unsupported_grant_type", "AADSTS70003: unsupported grant type"
        if form.get("client_id") != app.client_id:
            return 400, "unauthorized_client", "AADSTS700016: Application not found."
        if form.get("client_secret") != app.client_secret:
            return 401, "invalid_client", "AADSTS7000215: Invalid client secret provided."
        if form.get("scope") != app.scope:
            return 400, "invalid_scope", f"AADSTS70011: The scope '{form.get('scope')}' is invalid."
        return None


def _oauth_error(error: str, description: str) -> JSON:
    return {"error": error, "error_description": description}


async def _send(send: Send, status: int, body: JSON) -> None:
    data = orjson.dumps(body)
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(data)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
