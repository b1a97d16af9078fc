"""The embedded default's OIDC issuer: a signing key in the data directory.

With no PARLEY_OIDC_ISSUER, Parley signs its own tokens: `parley token EMAIL` for a
quick start, and the embedded OpenID provider (parley.auth.provider) for sign-in.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import JWTError, jwk, jwt

from parley.auth.errors import AuthenticationFailed

KEY_FILE_NAME = "oidc-signing-key.pem"
ALGORITHM = "RS256"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _thumbprint(public_jwk: dict[str, Any]) -> str:
    """RFC 7638 JWK thumbprint: a stable kid derived from the key itself."""
    canonical = json.dumps(
        {k: public_jwk[k] for k in ("e", "kty", "n")},
        separators=(",", ":"),
        sort_keys=True,
    )
    return _b64url(hashlib.sha256(canonical.encode()).digest())


def local_subject(email: str) -> str:
    """The `sub` of the local issuer's tokens: the same e-mail is always the same user."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"parley-local:{email.strip().lower()}"))


def person_claims(email: str, name: str | None) -> dict[str, str]:
    """The profile claims of a local user: the name splits at its first space."""
    email = email.strip().lower()
    display = (name or email.split("@")[0]).strip()
    given, _, family = display.partition(" ")
    return {
        "email": email,
        "name": display,
        "given_name": given,
        "family_name": family.strip(),
        "preferred_username": email,
    }


def load_or_create_key(data_dir: Path) -> bytes:
    """The PEM private key, created on first use; concurrent starts agree on one key."""
    path = data_dir / KEY_FILE_NAME
    if path.exists():
        return path.read_bytes()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    # Write a private temporary file, then link it into place: the link either
    # publishes a complete key or fails because another process published one first,
    # so no process ever reads a half-written key.
    fd, temporary = tempfile.mkstemp(dir=data_dir, prefix=".key-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)
        except FileExistsError:
            return path.read_bytes()
    finally:
        os.unlink(temporary)
    return pem


class LocalIssuer:
    """Signs tokens and publishes its public key; also the key source for verification."""

    def __init__(
        self, *, issuer: str, private_pem: bytes, audience: str | None
    ) -> None:
        self.issuer = issuer
        self.audience = audience
        # Parsed once: loading an RSA key from PEM checks it, ~70 ms each time.
        self._signing_key = jwk.construct(private_pem, ALGORITHM)
        public = self._signing_key.public_key().to_dict()
        public = {
            k: (v.decode() if isinstance(v, bytes) else v) for k, v in public.items()
        }
        self.kid = _thumbprint(public)
        self.public_jwk: dict[str, Any] = {
            **public,
            "kid": self.kid,
            "use": "sig",
            "alg": ALGORITHM,
        }

    @classmethod
    def from_data_dir(
        cls, *, issuer: str, data_dir: Path, audience: str | None
    ) -> LocalIssuer:
        return cls(
            issuer=issuer, private_pem=load_or_create_key(data_dir), audience=audience
        )

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk]}

    def sign(self, claims: dict[str, Any]) -> str:
        """A JWT of these claims, signed with the key and naming its `kid`."""
        return str(
            jwt.encode(
                claims,
                self._signing_key,
                algorithm=ALGORITHM,
                headers={"kid": self.kid},
            )
        )

    def decode(self, token: str, *, leeway_seconds: int = 0) -> dict[str, Any]:
        """The claims of a token this issuer signed (signature, `iss`, `exp`), or 401."""
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.public_jwk,
                algorithms=[ALGORITHM],
                issuer=self.issuer,
                options={
                    "verify_aud": False,
                    "require_exp": True,
                    "leeway": leeway_seconds,
                },
            )
        except JWTError as exc:
            raise AuthenticationFailed(f"The token is invalid: {exc}") from exc
        return claims

    def mint(
        self,
        email: str,
        *,
        name: str | None = None,
        ttl_seconds: int = 86_400,
        roles: list[str] | None = None,
        now: int | None = None,
    ) -> str:
        """A signed access (and ID) token for the user with this e-mail address."""
        issued = int(time.time()) if now is None else now
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "sub": local_subject(email),
            "iat": issued,
            "nbf": issued,
            "exp": issued + ttl_seconds,
            **person_claims(email, name),
            "realm_access": {"roles": roles or []},
        }
        if self.audience:
            claims["aud"] = self.audience
        return self.sign(claims)

    async def key_for(self, kid: str | None) -> dict[str, Any]:
        if kid not in (None, self.kid):
            raise AuthenticationFailed("The token is signed with an unknown key")
        return self.public_jwk

    async def aclose(self) -> None:
        return None
