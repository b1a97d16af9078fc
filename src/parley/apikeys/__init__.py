"""API keys: operator-issued secrets that mint Parley-signed JWTs (Sariska's generate-token)."""
