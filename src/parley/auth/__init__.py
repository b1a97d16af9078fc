"""Authentication: OIDC bearer tokens verified against the issuer's JWKS."""
