"""The embedded OpenID provider: sign-in, tokens and sign-out for browser apps.

On only while Parley is its own issuer (no PARLEY_OIDC_ISSUER). Protocol checks are
Authlib's (parley.auth.provider.server); accounts and passwords are local
(accounts.py, passwords.py); what is stored is in models.py.
"""
