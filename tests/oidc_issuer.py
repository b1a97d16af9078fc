"""A real OIDC issuer for tests: discovery and JWKS served over HTTP on loopback."""

from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt


def _pem(private_key: Any) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


class SigningKey:
    def __init__(self, kid: str, algorithm: str, private_pem: str) -> None:
        self.kid = kid
        self.algorithm = algorithm
        self.private_pem = private_pem
        # Parsed once: loading an RSA key from PEM checks it, ~70 ms each time.
        self.signing_key = jwk.construct(private_pem, algorithm)
        public = self.signing_key.public_key().to_dict()
        self.public_jwk = {
            **{k: v.decode() if isinstance(v, bytes) else v for k, v in public.items()},
            "kid": kid,
            "use": "sig",
        }
        self.public_pem = (
            serialization.load_pem_private_key(private_pem.encode(), None)
            .public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            .decode()
        )

    @classmethod
    def rsa(cls, kid: str) -> SigningKey:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        return cls(kid, "RS256", _pem(key))

    @classmethod
    def ec(cls, kid: str) -> SigningKey:
        return cls(kid, "ES256", _pem(ec.generate_private_key(ec.SECP256R1())))


class TestIssuer:
    """Serves /.well-known/openid-configuration and /jwks; mints tokens with its keys."""

    __test__ = False

    def __init__(self) -> None:
        self.keys = {"rsa-1": SigningKey.rsa("rsa-1"), "ec-1": SigningKey.ec("ec-1")}
        self.published = set(self.keys)
        self.jwks_requests = 0
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": f"{issuer.url}/jwks"}
                elif self.path == "/jwks":
                    issuer.jwks_requests += 1
                    body = {
                        "keys": [
                            issuer.keys[kid].public_jwk
                            for kid in sorted(issuer.published)
                        ]
                    }
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> TestIssuer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def add_key(self, kid: str, *, publish: bool = True) -> SigningKey:
        self.keys[kid] = SigningKey.rsa(kid)
        if publish:
            self.published.add(kid)
        return self.keys[kid]

    def claims_for(self, address: str, /, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        local, _, _ = address.partition("@")
        claims: dict[str, Any] = {
            "iss": self.url,
            "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, f"test-issuer:{address}")),
            "iat": now,
            "nbf": now,
            "exp": now + 300,
            "email": address,
            "given_name": local.capitalize(),
            "family_name": "Tester",
            "preferred_username": local,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def sign(
        self,
        claims: dict[str, Any],
        *,
        kid: str = "rsa-1",
        headers: dict[str, Any] | None = None,
    ) -> str:
        key = self.keys[kid]
        return str(
            jwt.encode(
                claims,
                key.signing_key,
                algorithm=key.algorithm,
                headers={"kid": kid, **(headers or {})},
            )
        )

    def token(self, address: str, /, *, kid: str = "rsa-1", **overrides: Any) -> str:
        return self.sign(self.claims_for(address, **overrides), kid=kid)

    def headers(self, address: str, /, **overrides: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(address, **overrides)}"}
