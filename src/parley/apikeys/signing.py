"""The key Parley signs API-key tokens with: ES256, its own file, a thumbprint `kid`.

A dedicated key rather than the local issuer's: API keys work whether or not an
external OIDC issuer is configured, and the two kinds of token must never be
mistaken for each other. Verification accepts ES256 with this key only (the
algorithm is pinned, never taken from the token), this `kid`, and this issuer.
Room access tokens (parley.rooms.access_tokens) are signed with the same key under
another issuer and an audience; each signer recognises only its own issuer, so
neither kind of token passes for the other.
Several instances behind a load balancer must share the key file
(PARLEY_API_TOKEN_KEY_FILE); replacing it invalidates every token signed before.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import ExpiredSignatureError, JWTError, jwt

from parley.auth.errors import AuthenticationFailed, TokenExpired

KEY_FILE_NAME = "api-token-signing-key.pem"
ALGORITHM = "ES256"
ISSUER_PATH = "/api/v1/misc/generate-token"


def load_or_create_signing_key(path: Path) -> bytes:
    """The PEM private key at `path`, created on first use.

    The key is written to a temporary file and linked into place, so processes
    starting together never read a half-written file: one link wins, the others
    read what it linked.
    """
    if path.exists():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".api-token-key-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(temporary, 0o600)
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # a concurrent start linked its key first
    finally:
        os.unlink(temporary)
    return path.read_bytes()


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _ec_thumbprint(public_key: ec.EllipticCurvePublicKey) -> str:
    """RFC 7638 thumbprint of a P-256 key (members crv, kty, x, y)."""
    numbers = public_key.public_numbers()
    member = {
        "crv": "P-256",
        "kty": "EC",
        "x": _b64url(numbers.x.to_bytes(32, "big")),
        "y": _b64url(numbers.y.to_bytes(32, "big")),
    }
    canonical = json.dumps(member, separators=(",", ":"), sort_keys=True)
    return _b64url(hashlib.sha256(canonical.encode()).digest())


class TokenSigner:
    """Signs and verifies API-key tokens."""

    def __init__(
        self,
        private_pem: bytes,
        *,
        base_url: str,
        leeway_seconds: int = 30,
        issuer_path: str = ISSUER_PATH,
        audience: str | None = None,
    ) -> None:
        key = serialization.load_pem_private_key(private_pem, password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(
            key.curve, ec.SECP256R1
        ):
            raise ValueError("the API token signing key must be an EC P-256 key")
        self._private_pem = private_pem.decode()
        self._public_pem = (
            key.public_key()
            .public_bytes(
                serialization.Encoding.PEM,
                serialization.PublicFormat.SubjectPublicKeyInfo,
            )
            .decode()
        )
        self.kid = _ec_thumbprint(key.public_key())
        self.issuer = base_url.rstrip("/") + issuer_path
        self.audience = audience
        self._leeway = leeway_seconds

    @classmethod
    def from_file(
        cls,
        path: Path,
        *,
        base_url: str,
        leeway_seconds: int = 30,
        issuer_path: str = ISSUER_PATH,
        audience: str | None = None,
    ) -> TokenSigner:
        return cls(
            load_or_create_signing_key(path),
            base_url=base_url,
            leeway_seconds=leeway_seconds,
            issuer_path=issuer_path,
            audience=audience,
        )

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS of the claims with this issuer (and audience) and kid."""
        audience = {} if self.audience is None else {"aud": self.audience}
        return str(
            jwt.encode(
                {**claims, **audience, "iss": self.issuer},
                self._private_pem,
                algorithm=ALGORITHM,
                headers={"kid": self.kid},
            )
        )

    def recognises(self, token: str) -> bool:
        """True when the token claims this key and issuer (unverified, no crypto)."""
        try:
            if jwt.get_unverified_header(token).get("kid") != self.kid:
                return False
            return bool(jwt.get_unverified_claims(token).get("iss") == self.issuer)
        except JWTError:
            return False

    def verify(self, token: str, *, check_times: bool = True) -> dict[str, Any]:
        """The claims of a token this signer issued; AuthenticationFailed otherwise.

        ``check_times=False`` leaves ``exp``/``nbf``, and requiring them, to the caller.
        """
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._public_pem,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                audience=self.audience,
                options={
                    "verify_aud": self.audience is not None,
                    # python-jose turns a required claim's check on: without time
                    # checks the caller requires exp itself.
                    "require_exp": check_times,
                    "require_iss": True,
                    "require_sub": True,
                    "verify_exp": check_times,
                    "verify_nbf": check_times,
                    "leeway": self._leeway,
                },
            )
        except ExpiredSignatureError as exc:
            raise TokenExpired() from exc
        except JWTError as exc:
            raise AuthenticationFailed(f"The access token is invalid: {exc}") from exc
        return claims
