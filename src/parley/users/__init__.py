"""Users: provisioned from OIDC claims, profiles, search."""
