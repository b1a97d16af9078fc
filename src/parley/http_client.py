"""Outgoing HTTP clients (httpx) that share one TLS context per process.

Building an ``httpx.AsyncClient`` loads the CA bundle into a new TLS context,
about 50 ms of CPU each time; the context is immutable once made, so every
client Parley creates reuses one.
"""

from __future__ import annotations

import ssl
from functools import lru_cache
from typing import Any

import httpx


@lru_cache(maxsize=1)
def tls_context() -> ssl.SSLContext:
    """httpx's default verification context (certifi's CA bundle), made once."""
    return httpx.create_ssl_context()


def async_client(**options: Any) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` with these options and the shared TLS context."""
    return httpx.AsyncClient(verify=tls_context(), **options)
